-- Lets briefos-schedule find due users by local wall-clock time instead of a per-user next run, so a sweep writes nothing but the jobs it queues.
--
-- A sweep used to read each due preference by next_run_at and write the
-- next one back: a non-HOT update of a row with three indexes, about 55 us
-- a row, which with the job insert put a 100,000-user sweep at 8 s. Now a
-- sweep covers a window of UTC time (from where the previous sweep stopped,
-- schedule_state.swept_to, to now + lookahead); for each time zone it turns
-- that window into ranges of local time_of_day (exact across DST changes,
-- computed in briefos-schedule with the tz database) and reads the matching
-- preferences through user_brief_preferences_due_idx, an index-only scan
-- because preferences rarely change. Edits are found through
-- user_brief_preferences_updated_at_idx.
--
-- next_run_at stays (the web tier may read it) but nothing maintains it any
-- more, so its index and its reset trigger go. Plain CREATE INDEX blocks
-- writes while it builds; on a large live database create the two indexes
-- first with CREATE INDEX CONCURRENTLY and the same names.

CREATE INDEX IF NOT EXISTS user_brief_preferences_due_idx
    ON user_brief_preferences (timezone, time_of_day)
       INCLUDE (user_id, frequency, day_of_week, updated_at)
    WHERE is_active;
CREATE INDEX IF NOT EXISTS user_brief_preferences_updated_at_idx
    ON user_brief_preferences (updated_at, id) WHERE is_active;

DROP INDEX user_brief_preferences_next_run_at_idx;
DROP INDEX user_brief_preferences_unscheduled_idx;
DROP TRIGGER user_brief_preferences_reset_next_run_at ON user_brief_preferences;
DROP FUNCTION briefos_reset_next_run_at();
-- Back to "every update is an edit".
DROP TRIGGER user_brief_preferences_touch_updated_at ON user_brief_preferences;
CREATE TRIGGER user_brief_preferences_touch_updated_at
    BEFORE UPDATE ON user_brief_preferences
    FOR EACH ROW EXECUTE FUNCTION briefos_touch_updated_at();

-- How far sweeps have queued: one row, written by each committed sweep
-- under its advisory lock. swept_to is the end of the last window (runs at
-- or before it are queued or were missed); swept_at the last sweep's now.
CREATE TABLE schedule_state (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    swept_to   timestamptz NOT NULL,
    swept_at   timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The foreign key from queue_jobs to users cost a row lock on the user for
-- every job queued (55 us a job, a third of a sweep). Jobs of a deleted user
-- are removed by this trigger instead, as ON DELETE CASCADE did; a job
-- queued for a user deleted at that same moment fails permanently in
-- briefos-generate ("unknown user").
ALTER TABLE queue_jobs DROP CONSTRAINT queue_jobs_user_id_fkey;
CREATE FUNCTION briefos_delete_user_jobs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM queue_jobs q USING gone WHERE q.user_id = gone.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER users_delete_jobs
    AFTER DELETE ON users REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION briefos_delete_user_jobs();

-- Served by queue_jobs_user_id_created_at_idx (user_id first) just as well;
-- one index fewer to write for every job.
DROP INDEX queue_jobs_user_active_idx;
