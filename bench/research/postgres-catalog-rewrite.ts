/**
 * sqlpin's PostgreSQL catalog query rewritten so that every part is led from
 * the target tables' oids through an index, for measuring against today's.
 * Works on the captured text: each part is replaced whole, and a part that is
 * no longer there stops the research instead of measuring something else.
 */

/** Today's parts, as sqlpin sends them (dialects/postgres/catalog.ts, as of this research). */
const TODAY = {
  edges: `edges AS (
  SELECT con.conrelid AS child, con.confrelid AS parent FROM pg_constraint con
   WHERE con.contype = 'f' AND con.confrelid IN (SELECT oid FROM named WHERE oid IS NOT NULL)
  UNION
  SELECT con.conrelid, con.confrelid FROM pg_constraint con JOIN edges e ON con.confrelid = e.child WHERE con.contype = 'f'
)`,
  owned: `owned AS (
  SELECT d.refobjid AS rel, json_agg(json_build_object('name', s.oid::regclass::text, 'start', q.seqstart::text)) AS sequences
    FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_sequence q ON q.seqrelid = s.oid
   WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
     AND d.refobjid IN (SELECT oid FROM met)
   GROUP BY d.refobjid
)`,
  deletingDiffers: `deleting_differs AS (
  SELECT tgrelid AS rel FROM pg_trigger WHERE NOT tgisinternal AND (tgtype & 40) <> 0 AND tgrelid IN (SELECT oid FROM met)
  UNION
  SELECT ev_class FROM pg_rewrite WHERE ev_type = '4' AND ev_class IN (SELECT oid FROM met)
)`,
};

/** A foreign key's rows in pg_depend point at the referenced table; `from.col` is the table whose children are wanted. */
const childrenOf = (from: string) => `CROSS JOIN LATERAL (SELECT d.objid FROM pg_depend d
       WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = ${from} AND d.classid = 'pg_constraint'::regclass OFFSET 0) d
    CROSS JOIN LATERAL (SELECT c.conrelid, c.confrelid FROM pg_constraint c
       WHERE c.oid = d.objid AND c.contype = 'f' AND c.confrelid = ${from} OFFSET 0) con`;

/** The same parts, each led by an index from the oids already found (`OFFSET 0` keeps every `LATERAL` a per-row look-up). */
const INDEX_LED = {
  edges: `edges AS (
  SELECT con.conrelid AS child, con.confrelid AS parent
    FROM named n ${childrenOf('n.oid')}
   WHERE n.oid IS NOT NULL
  UNION
  SELECT con.conrelid, con.confrelid FROM edges e ${childrenOf('e.child')}
)`,
  owned: `owned AS (
  SELECT m.oid AS rel, json_agg(json_build_object('name', s.oid::regclass::text, 'start', q.seqstart::text)) AS sequences
    FROM met m
    CROSS JOIN LATERAL (SELECT d.objid FROM pg_depend d WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = m.oid
                          AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') OFFSET 0) d
    CROSS JOIN LATERAL (SELECT s.oid FROM pg_class s WHERE s.oid = d.objid AND s.relkind = 'S' OFFSET 0) s
    CROSS JOIN LATERAL (SELECT q.seqstart FROM pg_sequence q WHERE q.seqrelid = s.oid OFFSET 0) q
   GROUP BY m.oid
)`,
  deletingDiffers: `deleting_differs AS (
  SELECT m.oid AS rel FROM met m
   WHERE EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = m.oid AND NOT t.tgisinternal AND (t.tgtype & 40) <> 0 OFFSET 0)
      OR EXISTS (SELECT 1 FROM pg_rewrite w WHERE w.ev_class = m.oid AND w.ev_type = '4' OFFSET 0)
)`,
};

/** `catalog` (sqlpin's text, without its BEGIN) with every part led by an index. */
export function indexLed(catalog: string): string {
  let text = catalog;
  for (const part of ['edges', 'owned', 'deletingDiffers'] as const) {
    if (!text.includes(TODAY[part]))
      throw new Error(`sqlpin's catalog query no longer has the ${part} part this rewrite replaces: update it`);
    text = text.replace(TODAY[part], INDEX_LED[part]);
  }
  return text;
}
