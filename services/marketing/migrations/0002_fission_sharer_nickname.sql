-- A share group shows its sharer by nickname (sent by the gateway when the group opens), never by user id.
ALTER TABLE fission_groups ADD COLUMN sharer_nickname text NOT NULL DEFAULT '';
