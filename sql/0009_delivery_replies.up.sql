-- What the relay said, kept where an operator looks (issue 16), and the
-- event of a recipient whose address changed between generate and send.
--
-- smtp_reply is the reply that decided a failed or retried delivery:
-- {"stage": "rcpt", "code": 550, "enhanced": "5.1.1", "text": "..."}
-- (mail::Reply::to_json). It is set on the email and on its recipient, and
-- cleared when the email is sent. Tracking events carry it in event_data.
--
-- briefos-email reads the recipient's address from users when it sends; a
-- changed address updates email_recipients and records a
-- 'recipient_changed' event with the old and the new address.

-- The recipient follows the user: the one way for briefos-email (at send
-- time) and briefos-generate (a regeneration reusing a pending email) to
-- change a recipient's address is to copy the user's current address and
-- name onto it. Neither role may write recipient_email itself
-- (sql/roles/briefos-roles.sql), so neither can send a private brief to an
-- address of its choosing. Returns the new address, or NULL when nothing
-- changed.
CREATE FUNCTION briefos_recipient_follow_user(p_recipient uuid) RETURNS text
    LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    UPDATE email_recipients r SET recipient_email = u.email, recipient_name = u.name
      FROM emails e JOIN users u ON u.id = e.created_by
     WHERE r.id = p_recipient AND e.id = r.email_id
       AND (r.recipient_email, r.recipient_name) IS DISTINCT FROM (u.email, u.name)
    RETURNING r.recipient_email
$$;
REVOKE EXECUTE ON FUNCTION briefos_recipient_follow_user(uuid) FROM PUBLIC;
-- The two program roles that call it, where sql/roles/briefos-roles.sql made
-- them (it grants the same when applied after this migration).
DO $grant$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'briefos_email') THEN
        GRANT EXECUTE ON FUNCTION briefos_recipient_follow_user(uuid) TO briefos_email;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'briefos_generate') THEN
        GRANT EXECUTE ON FUNCTION briefos_recipient_follow_user(uuid) TO briefos_generate;
    END IF;
END;
$grant$;

ALTER TABLE emails ADD COLUMN smtp_reply jsonb;
ALTER TABLE email_recipients ADD COLUMN smtp_reply jsonb;

-- The new event type. NOT VALID, then VALIDATE: the check of existing rows
-- runs under a lock that lets readers and writers go on.
ALTER TABLE email_tracking_events DROP CONSTRAINT email_tracking_events_event_type_check;
ALTER TABLE email_tracking_events ADD CONSTRAINT email_tracking_events_event_type_check
    CHECK (event_type IN ('sent', 'failed', 'opened', 'clicked', 'bounced', 'cancelled',
                          'recipient_changed')) NOT VALID;
ALTER TABLE email_tracking_events VALIDATE CONSTRAINT email_tracking_events_event_type_check;
