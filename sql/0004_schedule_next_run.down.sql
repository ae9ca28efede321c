-- Reverts 0004_schedule_next_run: drops the reset trigger and the unscheduled index, and restores the plain updated_at trigger.
--
-- next_run_at itself belongs to 0001 and stays; nothing maintains it after this.

DROP INDEX user_brief_preferences_unscheduled_idx;

DROP TRIGGER user_brief_preferences_reset_next_run_at ON user_brief_preferences;
DROP FUNCTION briefos_reset_next_run_at();

DROP TRIGGER user_brief_preferences_touch_updated_at ON user_brief_preferences;
CREATE TRIGGER user_brief_preferences_touch_updated_at BEFORE UPDATE ON user_brief_preferences
    FOR EACH ROW EXECUTE FUNCTION briefos_touch_updated_at();
