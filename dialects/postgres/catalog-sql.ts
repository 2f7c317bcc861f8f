/**
 * The text of the PostgreSQL catalog query. Every catalog table, function and
 * type is schema-qualified: a session's search_path may list a schema before
 * pg_catalog (or hold a function matching our arguments more exactly), and
 * what sqlpin sends must mean the same under any search_path. Operators are
 * left bare: only a superuser-level schema change could shadow them for oid.
 */

/**
 * From the `named` CTE: each named table's family (what a raw TRUNCATE of it
 * empties: its partitions and inheritance children, at every level; links
 * marked 'i'), and foreign keys to every referencing table (UNION ends
 * cycles), as the server follows them: constraint by constraint, the copies it
 * makes on each partition included. One recursion for both: a recursive CTE's
 * estimate grows tenfold per level, and two nested ones crossed jit_above_cost. Each table met says which tables it inherits from, so
 * that partitions are folded into their partitioned table (readCatalog).
 *
 * What each table owns is read by joins on aggregates, not by a subquery per
 * table in the select list: there the planner multiplies its cost by its
 * (poor) estimate of the tables in a schema, and on a catalog bloated by tests
 * creating and dropping tables the total crossed jit_above_cost, so every
 * reset paid ~40 ms (up to seconds) of JIT compilation. Triggers and parents
 * are read per table (LATERAL, an index scan each): pg_trigger is large, and
 * a hash join scanned all of it. The tables met are looked up by oid (LATERAL,
 * OFFSET 0 keeps it a per-row index scan): a hash join would scan all of
 * pg_class a second time.
 */
/**
 * The partitions and inheritance children, at every level, of the tables in
 * `heirsOf` (an oid[] literal); none when it is empty. Even an empty array
 * makes the planner expect thousands of rows from the recursion, which slows
 * every join after it: the common case leaves the recursion out.
 */
function heirs(heirsOf: string | undefined): string {
  if (heirsOf === undefined) return 'SELECT NULL::pg_catalog.oid AS rel WHERE false';
  return `
  SELECT i.inhrelid AS rel FROM pg_catalog.pg_inherits i WHERE i.inhparent = ANY(${heirsOf})
  UNION
  SELECT i.inhrelid FROM heirs h JOIN pg_catalog.pg_inherits i ON i.inhparent = h.rel
`;
}

/**
 * The foreign keys that reference a table of `source` (its column `rel`),
 * looked up from that table's side: pg_constraint has no index on confrelid,
 * so on a server with thousands of foreign keys elsewhere a scan of it costs
 * ~1 ms per level of the recursion. Every foreign key records a dependency on
 * the referenced table's columns (the copies on each partition included),
 * which pg_depend's reference index finds. A join, so that on a small catalog
 * the planner may still scan pg_constraint once instead.
 */
const foreignKeysTo = (source: string) => `
    SELECT con.conrelid AS child, con.confrelid AS parent, con.confdeltype AS del, con.confupdtype AS upd
      FROM ${source} f JOIN pg_catalog.pg_depend d ON d.refobjid = f.rel
       AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
      JOIN pg_catalog.pg_constraint con ON con.oid = d.objid AND con.contype = 'f' AND con.confrelid = f.rel`;

const follow = (heirsOf: string | undefined) => `
heirs AS (${heirs(heirsOf)}), family AS (
  SELECT oid AS rel FROM named UNION ALL SELECT rel FROM heirs
), edges AS (
  ${foreignKeysTo('family')}
  UNION
  ${foreignKeysTo('(SELECT child AS rel FROM edges)')}
), met AS (
  SELECT rel AS oid FROM family UNION SELECT child FROM edges
), referencing AS (
  SELECT parent, pg_catalog.json_agg(pg_catalog.json_build_object('child', child::pg_catalog.text, 'del', del, 'upd', upd)) AS actions
    FROM edges GROUP BY parent
), rules AS (
  SELECT ev_class AS rel, pg_catalog.bool_or(ev_type = '4') AS del, pg_catalog.bool_or(ev_type = '2') AS upd
    FROM pg_catalog.pg_rewrite WHERE ev_class IN (SELECT oid FROM met) GROUP BY ev_class
)
SELECT lookup.role, lookup.ord, lookup.oid::pg_catalog.oid::pg_catalog.text AS oid, k.relkind::pg_catalog.text AS kind,
       CASE WHEN lookup.role = 'except' AND lookup.oid IN (SELECT rel FROM family)
            THEN CASE WHEN k.relispartition THEN 'partition' ELSE 'inheritance' END
            WHEN lookup.role = 'moved' AND lookup.oid IS NOT NULL THEN 'session setting' END AS refused,
       CASE WHEN lookup.role = 'moved' THEN pg_catalog.current_schema()::pg_catalog.text ELSE kn.nspname || '.' || k.relname END AS found,
       NULL::pg_catalog.json AS info
  FROM lookup LEFT JOIN pg_catalog.pg_class k ON k.oid = lookup.oid LEFT JOIN pg_catalog.pg_namespace kn ON kn.oid = k.relnamespace
UNION ALL
SELECT 'met', NULL, c.oid::pg_catalog.text, c.relkind::pg_catalog.text, NULL, NULL, pg_catalog.json_build_object(
         'schema', n.nspname, 'name', c.relname, 'named', c.oid IN (SELECT oid FROM named),
         'inFamily', c.oid IN (SELECT rel FROM family), 'hasHeirs', c.relhassubclass, 'parents', pa.parents,
         'actions', r.actions, 'sequences', o.sequences,
         'rowSecurity', pg_catalog.row_security_active(c.oid), 'rowSecurityEnabled', c.relrowsecurity,
         'canSelect', pg_catalog.has_table_privilege(c.oid, 'SELECT'),
         'canDelete', pg_catalog.has_table_privilege(c.oid, 'DELETE'),
         'canTruncate', pg_catalog.has_table_privilege(c.oid, 'TRUNCATE'),
         'deleteFires', COALESCE(tr.del, false) OR COALESCE(ru.del, false),
         'updateFires', COALESCE(tr.upd, false) OR COALESCE(ru.upd, false),
         'truncateFires', COALESCE(tr.trunc, false))
  FROM met CROSS JOIN LATERAL (SELECT * FROM pg_catalog.pg_class WHERE pg_class.oid = met.oid OFFSET 0) AS c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL (
    SELECT pg_catalog.array_agg(inhparent::pg_catalog.text) AS parents FROM pg_catalog.pg_inherits WHERE inhrelid = c.oid) AS pa
  CROSS JOIN LATERAL (
    SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
             'name', pg_catalog.quote_ident(sn.nspname) || '.' || pg_catalog.quote_ident(s.relname),
             'start', q.seqstart::pg_catalog.text,
             'readable', pg_catalog.has_sequence_privilege(s.oid, 'SELECT'),
             'owned', pg_catalog.pg_has_role(s.relowner, 'USAGE'))) AS sequences
      FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
      JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
      JOIN pg_catalog.pg_sequence q ON q.seqrelid = s.oid
     WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = c.oid
       AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')) AS o
  CROSS JOIN LATERAL (
    SELECT pg_catalog.bool_or((tgtype & 8) <> 0) AS del, pg_catalog.bool_or((tgtype & 16) <> 0) AS upd,
           pg_catalog.bool_or((tgtype & 32) <> 0) AS trunc
      FROM pg_catalog.pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal) AS tr
  LEFT JOIN referencing r ON r.parent = c.oid LEFT JOIN rules ru ON ru.rel = c.oid`;

/** The named tables (`names`, a text[] literal), resolved exactly as the server would (to_regclass honours search_path). */
export const catalogTables = (names: string, heirsOf: string | undefined) => `
WITH RECURSIVE given AS (
  SELECT r.ord, pg_catalog.to_regclass(r.name) AS oid FROM pg_catalog.unnest((SELECT ${names})) WITH ORDINALITY AS r(name, ord)
), lookup AS (
  SELECT 'name' AS role, ord, oid FROM given
), named AS (
  SELECT c.oid FROM given g JOIN pg_catalog.pg_class c ON c.oid = g.oid WHERE c.relkind IN ('r', 'p')
), ${follow(heirsOf)}`;

/**
 * Every base table of one schema (the current one when `schema` is NULL; a
 * 'moved' row says the session's search_path is no longer the one it was
 * opened with, so the current schema may not be the configured one) but
 * the excepted ones (`except`, a text[] literal, resolved like named tables).
 * Partitions are emptied with their partitioned table; views, sequences and
 * foreign tables are not tables to empty. Each argument is an SQL expression:
 * a literal, or a typed parameter of the prepared form.
 */
export const catalogAll = (schema: string, except: string, heirsOf: string | undefined) => `
WITH RECURSIVE excepted AS (
  SELECT r.ord, pg_catalog.to_regclass(r.name) AS oid FROM pg_catalog.unnest((SELECT ${except})) WITH ORDINALITY AS r(name, ord)
), space AS (
  SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = COALESCE(${schema}, pg_catalog.current_schema())
), named AS (
  SELECT c.oid FROM pg_catalog.pg_class c
   WHERE c.relnamespace IN (SELECT oid FROM space) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     AND c.oid NOT IN (SELECT oid FROM excepted WHERE oid IS NOT NULL)
), lookup AS (
  SELECT 'except' AS role, ord, oid FROM excepted
  UNION ALL
  SELECT 'schema', NULL, (SELECT oid FROM space)
  UNION ALL
  SELECT 'moved', NULL, (SELECT oid FROM space)
   WHERE ${schema} IS NULL AND pg_catalog.current_setting('search_path') IS DISTINCT FROM
         (SELECT reset_val FROM pg_catalog.pg_settings WHERE name = 'search_path')
), ${follow(heirsOf)}`;
