-- The operator's email commands (issue 18): resend, and the unsubscribe
-- that a List-Unsubscribe token asks for.
--
-- emails.resent_from links a resend to the email it repeats (NULL for
-- every email briefos-generate makes); emails.forced marks a resend an
-- operator sent with --force: neither the suppression list nor the user's
-- opt-out cancels it (db/email_store.cpp reads it). A resend is a new row,
-- so it has its own tracking id, unsubscribe token and Message-ID.

ALTER TABLE emails ADD COLUMN resent_from uuid REFERENCES emails (id) ON DELETE SET NULL;
ALTER TABLE emails ADD COLUMN forced boolean NOT NULL DEFAULT false;
CREATE INDEX emails_resent_from_idx ON emails (resent_from) WHERE resent_from IS NOT NULL;

-- The new event type, checked the way 0009 added its own.
ALTER TABLE email_tracking_events DROP CONSTRAINT email_tracking_events_event_type_check;
ALTER TABLE email_tracking_events ADD CONSTRAINT email_tracking_events_event_type_check
    CHECK (event_type IN ('sent', 'failed', 'opened', 'clicked', 'bounced', 'cancelled',
                          'recipient_changed', 'unsubscribed')) NOT VALID;
ALTER TABLE email_tracking_events VALIDATE CONSTRAINT email_tracking_events_event_type_check;

-- briefos-email resend: a copy of daily-brief email p_original (its
-- subject, sender and template data; the brief is read again when it is
-- sent), pending, linked to the original, to the user's current address
-- and name, and its job (the shape of jobs::email_job in jobs.hpp, whose
-- type, dedup-key prefix, priority and attempts the caller passes), with
-- the queue's wake-up NOTIFY. The role of briefos-email may not write an
-- email's content or a recipient's address, nor queue jobs, itself
-- (sql/roles/briefos-roles.sql): this is the one way it makes an email and
-- a job, the address always the user's own, the job always that email's.
-- No row when p_original is not a daily-brief email of an existing user.
CREATE FUNCTION briefos_resend_email(p_original uuid, p_forced boolean, p_job_type text,
                                     p_key_prefix text, p_priority integer, p_max_attempts integer)
    RETURNS TABLE (email_id uuid, job_id bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    v_email uuid;
    v_user  uuid;
    v_brief text;
    v_job   bigint;
BEGIN
    IF p_job_type <> 'generate_brief_email' THEN
        RAISE EXCEPTION 'briefos_resend_email queues generate_brief_email jobs only, not %', p_job_type;
    END IF;
    INSERT INTO emails (subject, content, from_email, from_name, reply_to, status,
                        tracking_enabled, created_by, category, template_data,
                        resent_from, forced)
    SELECT o.subject, o.content, o.from_email, o.from_name, o.reply_to, 'pending',
           o.tracking_enabled, o.created_by, o.category, o.template_data, o.id, p_forced
      FROM emails o JOIN users u ON u.id = o.created_by
     WHERE o.id = p_original AND o.category = 'daily_brief'
    RETURNING id, created_by, template_data->>'brief_id' INTO v_email, v_user, v_brief;
    IF v_email IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO email_recipients (email_id, recipient_email, recipient_name, recipient_type, status)
    SELECT v_email, u.email, u.name, 'to', 'pending' FROM users u WHERE u.id = v_user;
    INSERT INTO queue_jobs (job_type, user_id, metadata, priority, max_attempts, dedup_key)
    VALUES (p_job_type::queue_type, v_user,
            jsonb_build_object('emailId', v_email, 'userId', v_user, 'briefId', v_brief),
            p_priority, p_max_attempts, p_key_prefix || v_email)
    RETURNING id INTO v_job;
    PERFORM pg_notify('briefos_jobs', p_job_type);
    RETURN QUERY SELECT v_email, v_job;
END;
$$;
REVOKE EXECUTE ON FUNCTION briefos_resend_email(uuid, boolean, text, text, integer, integer) FROM PUBLIC;

-- The one home of what an unsubscribe token does, for the web tier's
-- one-click endpoint (RFC 8058) and `briefos-email unsubscribe` alike. The
-- token is email_recipients.unsubscribe_token (in the List-Unsubscribe
-- header of the email). In one transaction: the email's user is opted out
-- of brief emails (user_brief_preferences.email_daily_brief = false), the
-- recipient's address is suppressed with reason 'unsubscribed' (an
-- existing suppression stays as it is), and when either changed, one
-- 'unsubscribed' tracking event is recorded. Idempotent, also under
-- concurrent calls (the preference row lock and the suppression key
-- serialise them, so one event at most).
--
-- outcome: 'unsubscribed' (something changed), 'already_unsubscribed'
-- (nothing left to change), 'unknown_token' (no such token; the other
-- columns NULL). The web tier answers 200 in every case.
CREATE FUNCTION briefos_unsubscribe(p_token text)
    RETURNS TABLE (outcome text, email_id uuid, user_id uuid, address text)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    v_recipient  uuid;
    v_email      uuid;
    v_user       uuid;
    v_address    text;
    v_opted_out  integer := 0;
    v_suppressed integer := 0;
BEGIN
    SELECT r.id, r.email_id, e.created_by, lower(r.recipient_email)
      INTO v_recipient, v_email, v_user, v_address
      FROM email_recipients r JOIN emails e ON e.id = r.email_id
     WHERE r.unsubscribe_token = p_token;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown_token'::text, NULL::uuid, NULL::uuid, NULL::text;
        RETURN;
    END IF;
    UPDATE user_brief_preferences p SET email_daily_brief = false
     WHERE p.user_id = v_user AND p.email_daily_brief;
    GET DIAGNOSTICS v_opted_out = ROW_COUNT;
    INSERT INTO email_suppressions (email, reason, detail)
    VALUES (v_address, 'unsubscribed', 'List-Unsubscribe of email ' || v_email)
    ON CONFLICT (email) DO NOTHING;
    GET DIAGNOSTICS v_suppressed = ROW_COUNT;
    IF v_opted_out + v_suppressed = 0 THEN
        RETURN QUERY SELECT 'already_unsubscribed'::text, v_email, v_user, v_address;
        RETURN;
    END IF;
    INSERT INTO email_tracking_events (email_id, recipient_id, event_type, event_data)
    VALUES (v_email, v_recipient, 'unsubscribed',
            jsonb_build_object('opted_out', v_opted_out > 0, 'suppressed', v_suppressed > 0));
    RETURN QUERY SELECT 'unsubscribed'::text, v_email, v_user, v_address;
END;
$$;
REVOKE EXECUTE ON FUNCTION briefos_unsubscribe(text) FROM PUBLIC;

-- The roles that call them, where sql/roles/briefos-roles.sql made them
-- (it grants the same when applied after this migration).
DO $grant$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'briefos_email') THEN
        GRANT EXECUTE ON FUNCTION briefos_resend_email(uuid, boolean, text, text, integer, integer)
            TO briefos_email;
        GRANT EXECUTE ON FUNCTION briefos_unsubscribe(text) TO briefos_email;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'briefos_web') THEN
        GRANT EXECUTE ON FUNCTION briefos_unsubscribe(text) TO briefos_web;
    END IF;
END;
$grant$;
