-- The inbox: why each person got each notification, and which they archived.
ALTER TABLE notifications.notification
    ADD COLUMN reason text NOT NULL DEFAULT 'NOTIFICATION_REASON_TEAM_MEMBER',
    ADD COLUMN archive_time timestamptz;

UPDATE notifications.notification SET reason = 'NOTIFICATION_REASON_ABOUT_YOU'
    WHERE kind = 'NOTIFICATION_KIND_PROJECT_MEMBER_ADDED';

-- Every insert says why from now on.
ALTER TABLE notifications.notification ALTER COLUMN reason DROP DEFAULT;
