-- The trace context of the event that created a notification, so that its delivery on a watch
-- stream continues the original request's trace.
ALTER TABLE notifications.notification ADD COLUMN traceparent text;
