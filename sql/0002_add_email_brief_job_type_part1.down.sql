-- Removes 'generate_brief_email' from enum queue_type again, by recreating the type without it.
--
-- PostgreSQL cannot drop an enum value. So: delete the queue_jobs rows of that type,
-- rename the old type away, create queue_type again with the remaining values in
-- their order, switch every column of the old type (queue_jobs.job_type) over to it,
-- and drop the old type.
--
-- Objects whose expressions mention the type itself (the valid_job_metadata CHECK:
-- job_type IN ('generate_daily_brief', ...) stores 'generate_daily_brief'::queue_type,
-- and likewise any column default or index predicate on a queue_type literal) would not
-- survive the column type change: PostgreSQL re-creates them from their definitions,
-- which by then name the old type, and there is no = between the two types. They are
-- found through pg_depend, their definitions saved while they still read ::queue_type,
-- dropped, and re-created under the same names afterwards. Indexes that only use the
-- column (queue_jobs_claim_idx, queue_jobs_user_active_idx) are rebuilt by PostgreSQL
-- itself. Anything else depending on the type (a view, a function signature) makes
-- this fail with a clear error instead of being lost.

DELETE FROM queue_jobs WHERE job_type::text = 'generate_brief_email';

DO $$
DECLARE
    v_old       oid := 'queue_type'::regtype;
    v_schema    text;
    v_labels    text;
    v_recreate  text[] := '{}';  -- statements to run once the columns are converted
    r           record;
    s           text;
BEGIN
    SELECT n.nspname INTO v_schema
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE t.oid = v_old;

    -- Refuse what cannot be carried over.
    FOR r IN
        SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS what
          FROM pg_depend d
         WHERE d.refclassid = 'pg_type'::regclass AND d.refobjid = v_old
           AND d.deptype = 'n'
           AND NOT (d.classid = 'pg_constraint'::regclass
                    AND (SELECT contype FROM pg_constraint WHERE oid = d.objid) = 'c')
           AND NOT (d.classid = 'pg_attrdef'::regclass)
           AND NOT (d.classid = 'pg_class'::regclass AND d.objsubid = 0
                    AND (SELECT relkind FROM pg_class WHERE oid = d.objid) = 'i'
                    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = d.objid))
           AND NOT (d.classid = 'pg_class'::regclass AND d.objsubid > 0
                    AND (SELECT relkind FROM pg_class WHERE oid = d.objid) IN ('r', 'p'))
    LOOP
        RAISE EXCEPTION 'cannot remove generate_brief_email from queue_type: % depends on it',
            r.what;
    END LOOP;

    -- CHECK constraints mentioning the type.
    FOR r IN
        SELECT DISTINCT c.conrelid::regclass AS rel, c.conname, pg_get_constraintdef(c.oid) AS def
          FROM pg_depend d JOIN pg_constraint c ON c.oid = d.objid
         WHERE d.classid = 'pg_constraint'::regclass
           AND d.refclassid = 'pg_type'::regclass AND d.refobjid = v_old
           AND d.deptype = 'n' AND c.contype = 'c'
         ORDER BY 1, 2
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.rel, r.conname);
        v_recreate := v_recreate
            || format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.rel, r.conname, r.def);
    END LOOP;

    -- Indexes whose expressions or predicates mention the type.
    FOR r IN
        SELECT DISTINCT i.indexrelid::regclass AS idx, pg_get_indexdef(i.indexrelid) AS def
          FROM pg_depend d JOIN pg_index i ON i.indexrelid = d.objid
         WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0
           AND d.refclassid = 'pg_type'::regclass AND d.refobjid = v_old
           AND d.deptype = 'n'
         ORDER BY 1
    LOOP
        EXECUTE format('DROP INDEX %s', r.idx);
        v_recreate := v_recreate || r.def;
    END LOOP;

    -- Column defaults mentioning the type.
    FOR r IN
        SELECT DISTINCT ad.adrelid::regclass AS rel, a.attname,
               pg_get_expr(ad.adbin, ad.adrelid) AS def
          FROM pg_depend d
          JOIN pg_attrdef ad ON ad.oid = d.objid
          JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
         WHERE d.classid = 'pg_attrdef'::regclass
           AND d.refclassid = 'pg_type'::regclass AND d.refobjid = v_old
           AND d.deptype = 'n'
         ORDER BY 1, 2
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', r.rel, r.attname);
        v_recreate := v_recreate
            || format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', r.rel, r.attname, r.def);
    END LOOP;

    -- New type, same labels in the same order, minus generate_brief_email.
    SELECT string_agg(quote_literal(enumlabel), ', ' ORDER BY enumsortorder) INTO v_labels
      FROM pg_enum
     WHERE enumtypid = v_old AND enumlabel <> 'generate_brief_email';

    EXECUTE format('ALTER TYPE %I.queue_type RENAME TO queue_type_with_brief_email', v_schema);
    EXECUTE format('CREATE TYPE %I.queue_type AS ENUM (%s)', v_schema, v_labels);

    -- Convert every column of the old type.
    FOR r IN
        SELECT a.attrelid::regclass AS rel, a.attname
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE a.atttypid = v_old AND a.attnum > 0 AND NOT a.attisdropped
           AND c.relkind IN ('r', 'p')
         ORDER BY 1, 2
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE %I.queue_type USING %I::text::%I.queue_type',
                       r.rel, r.attname, v_schema, r.attname, v_schema);
    END LOOP;

    EXECUTE format('DROP TYPE %I.queue_type_with_brief_email', v_schema);

    -- The saved definitions say ::queue_type, which now resolves to the new type.
    FOREACH s IN ARRAY v_recreate LOOP
        EXECUTE s;
    END LOOP;
END;
$$;
