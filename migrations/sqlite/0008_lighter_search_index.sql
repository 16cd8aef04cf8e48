-- Issue 5: the inbox full-text index without prefix indexes, merging segments in
-- larger steps. Measured on a 100,000-row SP4N-LAPOR! import (docs/performance.md):
-- the prefix indexes of 2, 3 and 4 letters stored every word four times and made the
-- import spend more time on full-text work than on the complaints themselves, while
-- a search word of five letters or more never used them. Without them a short word
-- ("iz", "ban") is found by scanning the index's terms that begin with it; the inbox
-- benchmark at 100,000 complaints in one unit timed no difference.
-- automerge 16 (SQLite's default is 4) merges 16 segments at a time instead of 4, so
-- a bulk import rewrites the index less often; searches read a few more segments.
-- The triggers of 0006 stay as they are: they name the table, which is recreated
-- under the same name and rebuilt from `complaints`.
DROP TABLE complaints_fts;
CREATE VIRTUAL TABLE complaints_fts USING fts5(
    subject, description, content = 'complaints', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO complaints_fts (complaints_fts, rank) VALUES ('automerge', 16);
INSERT INTO complaints_fts (complaints_fts) VALUES ('rebuild');
