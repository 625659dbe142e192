-- The news feed (functions/info, docs/adr/0014-info-news.md). An article's id is the uuid5 of
-- its canonical URL (tracking parameters stripped), so the primary key is the de-duplication:
-- ingesting the same story again is an INSERT ... ON CONFLICT DO NOTHING.
CREATE TABLE info_articles (
    id uuid PRIMARY KEY,
    url text NOT NULL,
    title text NOT NULL,
    snippet text NOT NULL,
    source text NOT NULL,
    source_name text NOT NULL,
    published_at timestamptz NOT NULL,
    category text NOT NULL CHECK (category IN ('environment', 'energy', 'ai')),
    thumbnail_url text,
    source_icon_url text,
    video_url text,
    keywords text[] NOT NULL DEFAULT '{}',
    ai_tag text,
    ingested_at timestamptz NOT NULL DEFAULT now()
);
-- The keyset: pages walk (published_at, id) downwards, with or without a category.
CREATE INDEX info_articles_feed ON info_articles (published_at, id);
CREATE INDEX info_articles_category_feed ON info_articles (category, published_at, id);
-- Articles per category ('all' too), kept by the adapter in the inserting transaction (rows
-- locked in key order, so concurrent ingests cannot deadlock): the feed's `total_cached`
-- without a count(*) over the table on every read.
CREATE TABLE info_article_counts (
    category text PRIMARY KEY,
    n bigint NOT NULL DEFAULT 0
);
INSERT INTO info_article_counts (category)
VALUES ('all'), ('environment'), ('energy'), ('ai');
