-- onewindow schema 3 (PostgreSQL): catalogue search by pinyin and browsing by life event.
-- Keep in step with ../sqlite/0003_search_pinyin.sql.
-- `search_text` now also holds the name's pinyin and initials; `life_events` holds the item's
-- life events as `,birth,housing,`; `search_version` is the rule that filled both, so that items
-- published under an older rule are indexed again (store::catalogue::reindex_search).
ALTER TABLE items ADD COLUMN life_events TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN search_version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX items_search_version ON items (search_version);
