-- Undo 0010: the events of the new type go first, so the old check holds.
DROP FUNCTION briefos_unsubscribe(text);
DROP FUNCTION briefos_resend_email(uuid, boolean, text, text, integer, integer);
DELETE FROM email_tracking_events WHERE event_type = 'unsubscribed';
ALTER TABLE email_tracking_events DROP CONSTRAINT email_tracking_events_event_type_check;
ALTER TABLE email_tracking_events ADD CONSTRAINT email_tracking_events_event_type_check
    CHECK (event_type IN ('sent', 'failed', 'opened', 'clicked', 'bounced', 'cancelled',
                          'recipient_changed'));
DROP INDEX emails_resent_from_idx;
ALTER TABLE emails DROP COLUMN forced;
ALTER TABLE emails DROP COLUMN resent_from;
