-- Adds 'generate_brief_email' to enum queue_type (part 1 of the original 20250930 add_email_brief_job_type).
-- briefos:no-transaction
--
-- A new enum value cannot be used in the transaction that adds it, so it is added
-- and committed on its own, before 0003 uses it. Exactly one statement, run
-- outside a transaction.

ALTER TYPE queue_type ADD VALUE IF NOT EXISTS 'generate_brief_email';
