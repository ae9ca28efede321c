-- Undo 0010: rows of the new event type and suppression reason go first, so
-- the old checks hold.
DELETE FROM email_suppressions WHERE reason = 'soft_bounce';
ALTER TABLE email_suppressions DROP CONSTRAINT email_suppressions_reason_check;
ALTER TABLE email_suppressions ADD CONSTRAINT email_suppressions_reason_check
    CHECK (reason IN ('unsubscribed', 'hard_bounce', 'complaint', 'manual'));
DELETE FROM email_tracking_events WHERE event_type = 'complained';
ALTER TABLE email_tracking_events DROP CONSTRAINT email_tracking_events_event_type_check;
ALTER TABLE email_tracking_events ADD CONSTRAINT email_tracking_events_event_type_check
    CHECK (event_type IN ('sent', 'failed', 'opened', 'clicked', 'bounced', 'cancelled',
                          'recipient_changed', 'unsubscribed'));
DROP TABLE email_bounce_reports;
