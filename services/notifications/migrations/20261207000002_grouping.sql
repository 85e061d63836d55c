-- Grouping: a burst of one person's actions of one kind in one project becomes one notification
-- per recipient, listing them, instead of one each.

ALTER TABLE notifications.notification
    -- what a notification may take in: kind, actor and project; none for what is never grouped
    ADD COLUMN group_key text,
    -- how many events it tells of
    ADD COLUMN group_count integer NOT NULL DEFAULT 1,
    -- their titles, oldest first (at most the last 100)
    ADD COLUMN items text[] NOT NULL DEFAULT '{}',
    -- when its last event came; a burst goes on while they come less than the window apart
    ADD COLUMN last_time timestamptz;

-- The open group of a recipient: unread, not archived, the newest first.
CREATE INDEX notification_open_group_idx ON notifications.notification (recipient, group_key, seq DESC)
    WHERE group_key IS NOT NULL AND read_time IS NULL AND archive_time IS NULL;

-- The instant email still waiting for a grouped notification, held while its burst goes on.
CREATE INDEX email_waiting_instant_idx ON notifications.email ((notification_ids[1]))
    WHERE state = 'PENDING' AND cadence = 'CADENCE_INSTANT';
