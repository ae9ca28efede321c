-- What mailbox providers send back about our emails (briefos-email bounces,
-- issue 18): delivery status notifications (RFC 3464) and abuse reports
-- (ARF, RFC 5965).
--
-- email_bounce_reports holds one row per report and recipient that
-- briefos-email bounces recorded. Its key (the report's own Message-ID, or
-- sha256:<hex> of a report without one, and the address) is what makes
-- reading the same report twice change nothing; its soft_bounce rows are
-- what "N soft bounces of an address within a window" counts.
--
-- A complaint is a new tracking event, 'complained'; an address suppressed
-- after too many soft bounces gets the new reason 'soft_bounce'.
CREATE TABLE email_bounce_reports (
    report_id    text        NOT NULL,
    address      text        NOT NULL CHECK (address = lower(address)),
    kind         text        NOT NULL CHECK (kind IN ('hard_bounce', 'soft_bounce', 'complaint')),
    email_id     uuid        NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
    recipient_id uuid        REFERENCES email_recipients (id) ON DELETE SET NULL,
    status       text,
    detail       jsonb       NOT NULL DEFAULT '{}',
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (report_id, address)
);

-- Soft bounces of one address, newest first (the window count).
CREATE INDEX email_bounce_reports_address_kind_idx
    ON email_bounce_reports (address, kind, recorded_at);
CREATE INDEX email_bounce_reports_email_id_idx ON email_bounce_reports (email_id);

-- NOT VALID, then VALIDATE, as 0009 does: readers and writers go on.
ALTER TABLE email_tracking_events DROP CONSTRAINT email_tracking_events_event_type_check;
ALTER TABLE email_tracking_events ADD CONSTRAINT email_tracking_events_event_type_check
    CHECK (event_type IN ('sent', 'failed', 'opened', 'clicked', 'bounced', 'cancelled',
                          'recipient_changed', 'unsubscribed', 'complained')) NOT VALID;
ALTER TABLE email_tracking_events VALIDATE CONSTRAINT email_tracking_events_event_type_check;

ALTER TABLE email_suppressions DROP CONSTRAINT email_suppressions_reason_check;
ALTER TABLE email_suppressions ADD CONSTRAINT email_suppressions_reason_check
    CHECK (reason IN ('unsubscribed', 'hard_bounce', 'complaint', 'manual', 'soft_bounce')) NOT VALID;
ALTER TABLE email_suppressions VALIDATE CONSTRAINT email_suppressions_reason_check;
