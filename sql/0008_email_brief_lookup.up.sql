-- Finds a brief's email through an index that can actually be searched by
-- brief id.
--
-- briefos-generate looks up the email of each brief it stores (to reuse or
-- replace it), briefos-email reads the brief of each email, and stats join
-- the two, all by template_data->>'brief_id' among daily_brief emails. The
-- index from 0003, idx_emails_category_template_data, leads with category
-- while its predicate is category = 'daily_brief': the planner drops the
-- category condition as implied by the predicate, so the brief id is a
-- condition on the second column only and every lookup read the whole
-- index (27 pages a brief at 2,000 emails, found with auto_explain in
-- bench/generate) or the whole table (a seq scan with a literal id). With
-- the brief id as the only key a lookup reads 2 pages, however many emails
-- there are. The old index is dropped: nothing can use it better, and every
-- email insert paid for it.
--
-- Plain CREATE INDEX blocks writes to emails while it builds. On a large live
-- database, create it first with CREATE INDEX CONCURRENTLY and the same
-- name; IF NOT EXISTS then makes this migration a no-op.

CREATE INDEX IF NOT EXISTS emails_daily_brief_id_idx
    ON emails ((template_data->>'brief_id'))
    WHERE category = 'daily_brief';

DROP INDEX IF EXISTS idx_emails_category_template_data;
