-- Creates the initial briefos schema: enums, source data, brief preferences, briefs, the job queue, email tables and record_email_open().
--
-- Keeps the BuildOS table, column and enum names (reference/buildos-worker.md section 2).
-- 'generate_brief_email' is added to queue_type by 0002, and the brief-email
-- monitoring objects by 0003, in the two-part shape of the original 20250930 migration.

-- ---------------------------------------------------------------------------
-- Enums
-- ---------------------------------------------------------------------------

CREATE TYPE project_status AS ENUM ('active', 'paused', 'completed', 'archived');

CREATE TYPE task_status AS ENUM ('backlog', 'in_progress', 'done', 'blocked');

CREATE TYPE priority_level AS ENUM ('low', 'medium', 'high');

CREATE TYPE queue_status AS ENUM (
    'pending', 'processing', 'completed', 'failed', 'cancelled', 'retrying'
);

CREATE TYPE queue_type AS ENUM (
    'generate_daily_brief',
    'generate_phases',
    'sync_calendar',
    'process_brain_dump',
    'send_email',
    'update_recurring_tasks',
    'cleanup_old_data',
    'onboarding_analysis',
    'other',
    'send_sms'
);

-- ---------------------------------------------------------------------------
-- updated_at maintenance (every table with updated_at except queue_jobs)
-- ---------------------------------------------------------------------------

CREATE FUNCTION briefos_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- ---------------------------------------------------------------------------
-- Source data
-- ---------------------------------------------------------------------------

CREATE TABLE users (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email       text        NOT NULL,
    name        text,
    last_visit  timestamptz DEFAULT now(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE projects (
    id          uuid           PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text           NOT NULL,
    slug        text,
    description text,
    status      project_status NOT NULL DEFAULT 'active',
    start_date  date,
    end_date    date,
    created_at  timestamptz    NOT NULL DEFAULT now(),
    updated_at  timestamptz    NOT NULL DEFAULT now()
);

CREATE INDEX projects_user_id_active_idx ON projects (user_id) WHERE status = 'active';

CREATE TABLE tasks (
    id               uuid           PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id       uuid           NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id          uuid           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title            text           NOT NULL,
    description      text,
    details          text,
    status           task_status    NOT NULL DEFAULT 'backlog',
    priority         priority_level NOT NULL DEFAULT 'medium',
    start_date       timestamptz,
    completed_at     timestamptz,
    outdated         boolean        NOT NULL DEFAULT false,
    deleted_at       timestamptz,
    task_type        text           NOT NULL DEFAULT 'one_off',
    duration_minutes integer        DEFAULT 30,
    created_at       timestamptz    NOT NULL DEFAULT now(),
    updated_at       timestamptz    NOT NULL DEFAULT now()
);

CREATE INDEX tasks_project_id_live_idx ON tasks (project_id)
    WHERE deleted_at IS NULL AND NOT outdated;

CREATE TABLE notes (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id  uuid        REFERENCES projects (id) ON DELETE CASCADE,
    title       text,
    content     text,
    category    text,
    tags        text[],
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX notes_project_id_updated_at_idx ON notes (project_id, updated_at DESC);

CREATE TABLE phases (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id        uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id           uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name              text        NOT NULL,
    description       text,
    start_date        date        NOT NULL,
    end_date          date        NOT NULL,
    "order"           integer     NOT NULL,
    scheduling_method text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT phases_dates_check CHECK (end_date >= start_date)
);

CREATE INDEX phases_project_id_order_idx ON phases (project_id, "order");

CREATE TABLE phase_tasks (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    phase_id             uuid        NOT NULL REFERENCES phases (id) ON DELETE CASCADE,
    task_id              uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    suggested_start_date date,
    assignment_reason    text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT phase_tasks_phase_id_task_id_key UNIQUE (phase_id, task_id)
);

CREATE INDEX phase_tasks_task_id_idx ON phase_tasks (task_id);

CREATE TABLE task_calendar_events (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    task_id           uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id           uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    calendar_event_id text,
    event_start       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX task_calendar_events_task_id_idx ON task_calendar_events (task_id);

-- ---------------------------------------------------------------------------
-- Brief preferences and briefs
-- ---------------------------------------------------------------------------

CREATE TABLE user_brief_preferences (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid        NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    frequency         text        NOT NULL DEFAULT 'daily'
                      CHECK (frequency IN ('daily', 'weekly', 'custom')),
    day_of_week       integer     CHECK (day_of_week BETWEEN 0 AND 6),
    time_of_day       time        NOT NULL DEFAULT '09:00:00',
    -- IANA zone name; validated by the scheduler (which reports bad zones), not here.
    timezone          text        NOT NULL DEFAULT 'UTC' CHECK (timezone <> ''),
    is_active         boolean     NOT NULL DEFAULT true,
    email_daily_brief boolean     NOT NULL DEFAULT false,
    next_run_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX user_brief_preferences_next_run_at_idx ON user_brief_preferences (next_run_at)
    WHERE is_active;

CREATE TABLE daily_briefs (
    id                      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                 uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    brief_date              date        NOT NULL,
    summary_content         text        NOT NULL DEFAULT '',
    project_brief_ids       uuid[]      NOT NULL DEFAULT '{}',
    insights                text,
    priority_actions        text[]      NOT NULL DEFAULT '{}',
    llm_analysis            text,
    llm_status              text        CHECK (llm_status IN ('ok', 'failed', 'skipped')),
    generation_status       text        NOT NULL DEFAULT 'pending'
                            CHECK (generation_status IN ('pending', 'processing', 'completed',
                                                         'failed', 'cancelled', 'retrying')),
    generation_started_at   timestamptz,
    generation_completed_at timestamptz,
    generation_progress     jsonb,
    generation_error        text,
    project_count           integer     NOT NULL DEFAULT 0,
    failed_project_count    integer     NOT NULL DEFAULT 0,
    is_empty                boolean     NOT NULL DEFAULT false,
    metadata                jsonb       NOT NULL DEFAULT '{}',
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT daily_briefs_user_id_brief_date_key UNIQUE (user_id, brief_date)
);

CREATE INDEX daily_briefs_brief_date_idx ON daily_briefs (brief_date);
CREATE INDEX daily_briefs_generation_completed_at_idx ON daily_briefs (generation_completed_at);

CREATE TABLE project_daily_briefs (
    id                      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                 uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id              uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    daily_brief_id          uuid        REFERENCES daily_briefs (id) ON DELETE CASCADE,
    brief_date              date        NOT NULL,
    brief_content           text        NOT NULL,
    metadata                json,
    generation_status       text        NOT NULL DEFAULT 'pending'
                            CHECK (generation_status IN ('pending', 'processing', 'completed',
                                                         'failed', 'cancelled', 'retrying')),
    generation_started_at   timestamptz,
    generation_completed_at timestamptz,
    generation_error        text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT project_daily_briefs_project_id_brief_date_key UNIQUE (project_id, brief_date)
);

CREATE INDEX project_daily_briefs_daily_brief_id_idx ON project_daily_briefs (daily_brief_id);

-- ---------------------------------------------------------------------------
-- Job queue (updated_at is set by the queue's own statements, no trigger)
-- ---------------------------------------------------------------------------

CREATE TABLE queue_jobs (
    id             bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_type       queue_type   NOT NULL,
    status         queue_status NOT NULL DEFAULT 'pending',
    user_id        uuid         REFERENCES users (id) ON DELETE CASCADE,
    metadata       jsonb        NOT NULL DEFAULT '{}',
    priority       integer      NOT NULL DEFAULT 10,
    attempts       integer      NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts   integer      NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    scheduled_for  timestamptz  NOT NULL DEFAULT now(),
    dedup_key      text,
    locked_by      text,
    locked_until   timestamptz,
    started_at     timestamptz,
    completed_at   timestamptz,
    error_message  text,
    errors         jsonb        NOT NULL DEFAULT '[]',
    result         jsonb,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT queue_jobs_processing_has_lease
        CHECK (status <> 'processing' OR locked_until IS NOT NULL),
    -- As before 20250930 part 2; 0003 adds generate_brief_email to the list.
    CONSTRAINT valid_job_metadata CHECK (
        status IN ('completed', 'cancelled', 'failed')
        OR NOT (status NOT IN ('completed', 'cancelled', 'failed')
                AND job_type IN ('generate_daily_brief', 'generate_phases')
                AND metadata IS NULL))
);

-- A duplicate of an active job is a no-op: INSERT ... ON CONFLICT DO NOTHING.
CREATE UNIQUE INDEX queue_jobs_dedup_key_active ON queue_jobs (dedup_key)
    WHERE dedup_key IS NOT NULL AND status IN ('pending', 'processing');

-- Claim: FOR UPDATE SKIP LOCKED ordered by priority, scheduled_for.
CREATE INDEX queue_jobs_claim_idx ON queue_jobs (job_type, priority, scheduled_for, id)
    WHERE status = 'pending';

-- Rescue of expired leases.
CREATE INDEX queue_jobs_lease_idx ON queue_jobs (locked_until)
    WHERE status = 'processing';

-- Prune of finished jobs.
CREATE INDEX queue_jobs_prune_idx ON queue_jobs (completed_at)
    WHERE status IN ('completed', 'failed', 'cancelled');

-- Cancel by user, and per-user active job look-ups.
CREATE INDEX queue_jobs_user_active_idx ON queue_jobs (user_id, job_type)
    WHERE status IN ('pending', 'processing');

-- ---------------------------------------------------------------------------
-- Email
-- ---------------------------------------------------------------------------

CREATE TABLE emails (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    subject          text        NOT NULL,
    content          text        NOT NULL DEFAULT '',
    from_email       text        NOT NULL,
    from_name        text        NOT NULL,
    reply_to         text,
    status           text        NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('draft', 'scheduled', 'pending', 'sending', 'sent',
                                       'failed', 'cancelled')),
    scheduled_at     timestamptz,
    sent_at          timestamptz,
    tracking_enabled boolean     NOT NULL DEFAULT true,
    tracking_id      text        NOT NULL UNIQUE DEFAULT gen_random_uuid()::text,
    created_by       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category         text        NOT NULL DEFAULT 'general',
    template_data    jsonb       NOT NULL DEFAULT '{}',
    message_id       text,
    subject_variant  text,
    error_message    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX emails_created_by_created_at_idx ON emails (created_by, created_at);

CREATE TABLE email_recipients (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email_id          uuid        NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
    recipient_email   text        NOT NULL,
    recipient_name    text,
    recipient_type    text        NOT NULL DEFAULT 'to',
    recipient_id      uuid,
    status            text        NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'sending', 'sent', 'delivered', 'failed',
                                        'bounced', 'cancelled')),
    sent_at           timestamptz,
    delivered_at      timestamptz,
    opened_at         timestamptz,
    last_opened_at    timestamptz,
    open_count        integer     NOT NULL DEFAULT 0,
    error_message     text,
    unsubscribe_token text        NOT NULL UNIQUE DEFAULT gen_random_uuid()::text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX email_recipients_email_id_idx ON email_recipients (email_id);

CREATE TABLE email_tracking_events (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email_id     uuid        NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
    recipient_id uuid        REFERENCES email_recipients (id) ON DELETE CASCADE,
    event_type   text        NOT NULL
                 CHECK (event_type IN ('sent', 'failed', 'opened', 'clicked', 'bounced',
                                       'cancelled')),
    event_data   jsonb,
    user_agent   text,
    ip_address   inet,
    "timestamp"  timestamptz NOT NULL DEFAULT now(),
    clicked_url  text,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX email_tracking_events_email_id_event_type_idx
    ON email_tracking_events (email_id, event_type);

-- Addresses never to send to; stored lower-cased.
CREATE TABLE email_suppressions (
    email      text        PRIMARY KEY CHECK (email = lower(email)),
    reason     text        NOT NULL
               CHECK (reason IN ('unsubscribed', 'hard_bounce', 'complaint', 'manual')),
    detail     text,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------
-- updated_at triggers
-- ---------------------------------------------------------------------------

CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION briefos_touch_updated_at();
CREATE TRIGGER projects_touch_updated_at BEFORE UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION briefos_touch_updated_at();
CREATE TRIGGER tasks_touch_updated_at BEFORE UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION briefos_touch_updated_at();
CREATE TRIGGER notes_touch_updated_at BEFORE UPDATE ON notes
    FOR EACH ROW EXECUTE FUNCTION briefos_touch_updated_at();
CREATE TRIGGER phases_touch_updated_at BEFORE UPDATE ON phases
    FOR EACH ROW EXECUTE FUNCTION briefos_touch_updated_at();
CREATE TRIGGER user_brief_preferences_touch_updated_at BEFORE UPDATE ON user_brief_preferences
    FOR EACH ROW EXECUTE FUNCTION briefos_touch_updated_at();
CREATE TRIGGER daily_briefs_touch_updated_at BEFORE UPDATE ON daily_briefs
    FOR EACH ROW EXECUTE FUNCTION briefos_touch_updated_at();
CREATE TRIGGER project_daily_briefs_touch_updated_at BEFORE UPDATE ON project_daily_briefs
    FOR EACH ROW EXECUTE FUNCTION briefos_touch_updated_at();
CREATE TRIGGER emails_touch_updated_at BEFORE UPDATE ON emails
    FOR EACH ROW EXECUTE FUNCTION briefos_touch_updated_at();
CREATE TRIGGER email_recipients_touch_updated_at BEFORE UPDATE ON email_recipients
    FOR EACH ROW EXECUTE FUNCTION briefos_touch_updated_at();

-- ---------------------------------------------------------------------------
-- Open tracking, callable by a web tier: GET /api/email-tracking/<tracking_id>
-- ---------------------------------------------------------------------------

-- For every recipient of the email with this tracking id: first open sets opened_at,
-- every open increments open_count, sets last_opened_at and adds an 'opened' event
-- with event_data {is_first_open, open_count}. Returns the number of recipients
-- updated (0 for an unknown tracking id).
CREATE FUNCTION record_email_open(
    p_tracking_id text,
    p_user_agent  text DEFAULT NULL,
    p_ip          inet DEFAULT NULL
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_count integer;
BEGIN
    WITH target AS (
        -- Lock first so that concurrent opens see each other's opened_at.
        SELECT er.id, er.opened_at IS NULL AS is_first_open
          FROM email_recipients er
          JOIN emails e ON e.id = er.email_id
         WHERE e.tracking_id = p_tracking_id
         ORDER BY er.id
           FOR UPDATE OF er
    ), updated AS (
        UPDATE email_recipients er
           SET opened_at      = COALESCE(er.opened_at, now()),
               open_count     = er.open_count + 1,
               last_opened_at = now()
          FROM target t
         WHERE er.id = t.id
        RETURNING er.id, er.email_id, er.open_count, t.is_first_open
    ), events AS (
        INSERT INTO email_tracking_events
               (email_id, recipient_id, event_type, event_data, user_agent, ip_address)
        SELECT u.email_id, u.id, 'opened',
               jsonb_build_object('is_first_open', u.is_first_open,
                                  'open_count', u.open_count),
               p_user_agent, p_ip
          FROM updated u
        RETURNING 1
    )
    SELECT count(*) INTO v_count FROM events;

    RETURN v_count;
END;
$$;
