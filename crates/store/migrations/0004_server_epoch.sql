-- 0004_server_epoch: the epoch of the server database this device last synced with (a random id
-- the server makes with its database and replaces when it is restored from a backup). NULL until
-- an answer carried one. When an answer carries another epoch, the device's own operations the
-- restored server no longer holds are pushed again and the feed starts over
-- (`DeviceStore::rebase_on_restored_server`).
ALTER TABLE device ADD COLUMN server_epoch BLOB CHECK (server_epoch IS NULL OR length(server_epoch) = 16);
