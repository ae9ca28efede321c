-- Adds the brief-email objects (part 2 of the original 20250930 add_email_brief_job_type): metadata constraint, email indexes, get_pending_brief_emails, get_brief_email_status, brief_email_stats.
--
-- Uses 'generate_brief_email', which 0002 added and committed. As in the original:
-- no changes to daily_briefs. The original's GRANTs to the Supabase roles
-- service_role and authenticated are only made where those roles exist.
-- Both functions pin search_path to the one in effect when they are created,
-- because they are SECURITY DEFINER.

ALTER TABLE queue_jobs DROP CONSTRAINT IF EXISTS valid_job_metadata;
ALTER TABLE queue_jobs ADD CONSTRAINT valid_job_metadata CHECK (
    status IN ('completed', 'cancelled', 'failed')
    OR NOT (status NOT IN ('completed', 'cancelled', 'failed')
            AND job_type IN ('generate_daily_brief', 'generate_phases', 'generate_brief_email')
            AND metadata IS NULL));

CREATE INDEX IF NOT EXISTS idx_emails_category_template_data
    ON emails (category, (template_data->>'brief_id'))
    WHERE category = 'daily_brief';

CREATE INDEX IF NOT EXISTS idx_emails_status_category
    ON emails (status, category, created_at)
    WHERE status = 'pending' AND category = 'daily_brief';

-- Pending daily-brief emails of the last 7 days whose user still wants them, newest first.
CREATE OR REPLACE FUNCTION get_pending_brief_emails(p_limit integer DEFAULT 100)
RETURNS TABLE (
    email_id   uuid,
    user_id    uuid,
    brief_id   text,
    brief_date text,
    created_at timestamptz,
    subject    text
)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
BEGIN
    RETURN QUERY
    SELECT e.id                           AS email_id,
           e.created_by                   AS user_id,
           e.template_data->>'brief_id'   AS brief_id,
           e.template_data->>'brief_date' AS brief_date,
           e.created_at                   AS created_at,
           e.subject                      AS subject
      FROM emails e
      JOIN user_brief_preferences ubp ON ubp.user_id = e.created_by
     WHERE e.status = 'pending'
       AND e.category = 'daily_brief'
       AND ubp.email_daily_brief = true
       AND ubp.is_active = true
       AND e.created_at > NOW() - INTERVAL '7 days'
     ORDER BY e.created_at DESC
     LIMIT p_limit;
END;
$$;

-- The newest daily-brief email of a brief, with (one of) its recipients.
CREATE OR REPLACE FUNCTION get_brief_email_status(p_brief_id text)
RETURNS TABLE (
    email_id         uuid,
    status           text,
    sent_at          timestamptz,
    recipient_email  text,
    recipient_status text,
    opened_at        timestamptz,
    open_count       integer
)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
BEGIN
    RETURN QUERY
    SELECT e.id               AS email_id,
           e.status           AS status,
           er.sent_at         AS sent_at,
           er.recipient_email AS recipient_email,
           er.status          AS recipient_status,
           er.opened_at       AS opened_at,
           er.open_count      AS open_count
      FROM emails e
      LEFT JOIN email_recipients er ON er.email_id = e.id
     WHERE e.category = 'daily_brief'
       AND e.template_data->>'brief_id' = p_brief_id
     ORDER BY e.created_at DESC
     LIMIT 1;
END;
$$;

-- Daily-brief email counts per day over the last 30 days.
CREATE OR REPLACE VIEW brief_email_stats AS
SELECT DATE(e.created_at) AS date,
       COUNT(*) AS total_emails,
       COUNT(*) FILTER (WHERE e.status = 'sent')    AS sent_count,
       COUNT(*) FILTER (WHERE e.status = 'failed')  AS failed_count,
       COUNT(*) FILTER (WHERE e.status = 'pending') AS pending_count,
       COUNT(*) FILTER (WHERE er.opened_at IS NOT NULL) AS opened_count,
       AVG(EXTRACT(EPOCH FROM (er.sent_at - e.created_at)))
           FILTER (WHERE er.sent_at IS NOT NULL) AS avg_send_time_seconds
  FROM emails e
  LEFT JOIN email_recipients er ON er.email_id = e.id
 WHERE e.category = 'daily_brief'
   AND e.created_at > NOW() - INTERVAL '30 days'
 GROUP BY DATE(e.created_at)
 ORDER BY DATE(e.created_at) DESC;

-- The original's GRANTs, for a database that has the Supabase roles.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT EXECUTE ON FUNCTION get_pending_brief_emails(integer) TO service_role;
        GRANT EXECUTE ON FUNCTION get_brief_email_status(text) TO service_role;
        GRANT SELECT ON brief_email_stats TO service_role;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        GRANT EXECUTE ON FUNCTION get_brief_email_status(text) TO authenticated;
        GRANT SELECT ON brief_email_stats TO authenticated;
    END IF;
END;
$$;

-- Verify: raise if anything is missing.
DO $$
DECLARE
    v_missing text[] := '{}';
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_enum
                    WHERE enumtypid = 'queue_type'::regtype
                      AND enumlabel = 'generate_brief_email') THEN
        v_missing := v_missing || 'enum value queue_type.generate_brief_email'::text;
    END IF;
    IF to_regclass('idx_emails_category_template_data') IS NULL THEN
        v_missing := v_missing || 'index idx_emails_category_template_data'::text;
    END IF;
    IF to_regclass('idx_emails_status_category') IS NULL THEN
        v_missing := v_missing || 'index idx_emails_status_category'::text;
    END IF;
    IF to_regprocedure('get_pending_brief_emails(integer)') IS NULL THEN
        v_missing := v_missing || 'function get_pending_brief_emails(integer)'::text;
    END IF;
    IF to_regprocedure('get_brief_email_status(text)') IS NULL THEN
        v_missing := v_missing || 'function get_brief_email_status(text)'::text;
    END IF;
    IF to_regclass('brief_email_stats') IS NULL THEN
        v_missing := v_missing || 'view brief_email_stats'::text;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                    WHERE conrelid = 'queue_jobs'::regclass
                      AND conname = 'valid_job_metadata'
                      AND pg_get_constraintdef(oid) LIKE '%generate_brief_email%') THEN
        v_missing := v_missing || 'constraint queue_jobs.valid_job_metadata with generate_brief_email'::text;
    END IF;
    IF cardinality(v_missing) > 0 THEN
        RAISE EXCEPTION 'add_email_brief_job_type part 2 incomplete, missing: %',
            array_to_string(v_missing, ', ');
    END IF;
END;
$$;
