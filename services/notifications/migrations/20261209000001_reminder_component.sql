-- The reminders of a component, fired or not: a change of the component drops its unfired ones
-- and asks whether a review reminder as new as the change exists already, one component at a
-- time. The partial index answered only the first, so the second read every review reminder.
DROP INDEX notifications.reminder_component_idx;
CREATE INDEX reminder_component_idx ON notifications.reminder (component_id, kind);
