-- 0005_visit_correction_reason: why a visit that corrects another was corrected (更正原因; issue
-- 13). NULL on every visit that corrects nothing and on the corrections stored before it existed.
ALTER TABLE visits ADD COLUMN correction_reason TEXT;
