-- Undo 0009: the events of the new type go first, so the old check holds.
DELETE FROM email_tracking_events WHERE event_type = 'recipient_changed';
ALTER TABLE email_tracking_events DROP CONSTRAINT email_tracking_events_event_type_check;
ALTER TABLE email_tracking_events ADD CONSTRAINT email_tracking_events_event_type_check
    CHECK (event_type IN ('sent', 'failed', 'opened', 'clicked', 'bounced', 'cancelled'));
ALTER TABLE email_recipients DROP COLUMN smtp_reply;
ALTER TABLE emails DROP COLUMN smtp_reply;
DROP FUNCTION briefos_recipient_follow_user(uuid);
