-- onewindow schema 17 (SQLite): the administrator's list of equivalent materials (材料等同清单),
-- names that are the same document (营业执照 and 营业执照或者其他主体资格证明文件), so that a
-- bundle asks each once. One row per group, in the list's order: `group_no` from 0, `names` a
-- JSON array of the names in their order (the first name of a group is the one a bundle asks).
-- Saving the list replaces every row in one transaction. Keep in step with ../postgres/.
CREATE TABLE material_equivalents (
    group_no BIGINT PRIMARY KEY,
    names TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
