-- Reverts 0008_email_brief_lookup.

CREATE INDEX IF NOT EXISTS idx_emails_category_template_data
    ON emails (category, (template_data->>'brief_id'))
    WHERE category = 'daily_brief';

DROP INDEX IF EXISTS emails_daily_brief_id_idx;
