-- Back to 0006: next_run_at maintained per preference, the foreign key from queue_jobs to users.
CREATE INDEX queue_jobs_user_active_idx ON queue_jobs (user_id, job_type)
    WHERE status IN ('pending', 'processing');

DROP TRIGGER users_delete_jobs ON users;
DROP FUNCTION briefos_delete_user_jobs();
DELETE FROM queue_jobs q WHERE q.user_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = q.user_id);
ALTER TABLE queue_jobs ADD CONSTRAINT queue_jobs_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;

DROP TABLE schedule_state;

DROP TRIGGER user_brief_preferences_touch_updated_at ON user_brief_preferences;
CREATE TRIGGER user_brief_preferences_touch_updated_at
    BEFORE UPDATE ON user_brief_preferences
    FOR EACH ROW
    WHEN (OLD.next_run_at IS NOT DISTINCT FROM NEW.next_run_at
          OR (OLD.frequency, OLD.day_of_week, OLD.time_of_day, OLD.timezone, OLD.is_active)
             IS DISTINCT FROM
             (NEW.frequency, NEW.day_of_week, NEW.time_of_day, NEW.timezone, NEW.is_active))
    EXECUTE FUNCTION briefos_touch_updated_at();
CREATE FUNCTION briefos_reset_next_run_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.next_run_at := NULL;
    RETURN NEW;
END;
$$;
CREATE TRIGGER user_brief_preferences_reset_next_run_at
    BEFORE UPDATE OF frequency, day_of_week, time_of_day, timezone, is_active
    ON user_brief_preferences
    FOR EACH ROW
    WHEN ((OLD.frequency, OLD.day_of_week, OLD.time_of_day, OLD.timezone, OLD.is_active)
          IS DISTINCT FROM
          (NEW.frequency, NEW.day_of_week, NEW.time_of_day, NEW.timezone, NEW.is_active))
    EXECUTE FUNCTION briefos_reset_next_run_at();
-- Every next run is unknown again; the next sweep of the 0006 scheduler
-- computes them all.
UPDATE user_brief_preferences SET next_run_at = NULL WHERE next_run_at IS NOT NULL;
CREATE INDEX user_brief_preferences_unscheduled_idx ON user_brief_preferences (id)
    WHERE is_active AND next_run_at IS NULL;
CREATE INDEX user_brief_preferences_next_run_at_idx ON user_brief_preferences (next_run_at)
    WHERE is_active;

DROP INDEX user_brief_preferences_updated_at_idx;
DROP INDEX user_brief_preferences_due_idx;
