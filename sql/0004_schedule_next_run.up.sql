-- Keeps user_brief_preferences.next_run_at for briefos-schedule: an edit of the schedule resets it, the scheduler's own bookkeeping no longer bumps updated_at, and an index finds the rows still to schedule.
--
-- next_run_at is the UTC instant of a preference's next run, computed by
-- briefos-schedule with the system tz database. It is not computed in SQL:
-- `timestamp AT TIME ZONE zone` takes the second occurrence of a time in a
-- fall-back overlap, and briefos runs the first. A sweep reads only rows
-- with next_run_at <= now + lookahead (user_brief_preferences_next_run_at_idx)
-- plus the rows where it is NULL (new or edited preferences, found through
-- the small partial index below), so its cost follows the number of due
-- users, not the number of users.

-- Any change to what decides the schedule makes the next run unknown; the
-- next sweep recomputes it from the new values.
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

-- updated_at means "last edited by the user". The scheduler advancing
-- next_run_at is not an edit (and skipping the trigger keeps a sweep that
-- advances 100,000 rows cheap). Triggers fire in name order, so this WHEN
-- sees next_run_at already reset by the trigger above on a real edit.
DROP TRIGGER user_brief_preferences_touch_updated_at ON user_brief_preferences;
CREATE TRIGGER user_brief_preferences_touch_updated_at
    BEFORE UPDATE ON user_brief_preferences
    FOR EACH ROW
    WHEN (OLD.next_run_at IS NOT DISTINCT FROM NEW.next_run_at
          OR (OLD.frequency, OLD.day_of_week, OLD.time_of_day, OLD.timezone, OLD.is_active)
             IS DISTINCT FROM
             (NEW.frequency, NEW.day_of_week, NEW.time_of_day, NEW.timezone, NEW.is_active))
    EXECUTE FUNCTION briefos_touch_updated_at();

-- Active preferences whose next run is not known yet.
CREATE INDEX user_brief_preferences_unscheduled_idx ON user_brief_preferences (id)
    WHERE is_active AND next_run_at IS NULL;

-- Values written before this migration were not kept in step with edits.
UPDATE user_brief_preferences SET next_run_at = NULL WHERE next_run_at IS NOT NULL;
