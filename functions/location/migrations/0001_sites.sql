-- Every place the map shows, in one normalised table: KECO battery/lamp boxes, clothing bins,
-- zero-waste shops, places Kakao found. (source, source_id) is the import key: re-running a
-- loader finds the row it wrote last time and changes nothing if the data did not change.
-- `geog` is derived from latitude/longitude (one truth) and carries the GiST index that
-- answers "nearest first within r metres" (KNN `<->` + ST_DWithin). The trigram indexes serve
-- keyword search without Kakao (ILIKE '%…%' on Korean names and addresses).
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE location_sites (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source text NOT NULL CHECK (source IN ('keco', 'zerowaste', 'kakao')),
    source_id text NOT NULL,
    name text NOT NULL,
    latitude double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    geog geography(Point, 4326) NOT NULL
        GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography) STORED,
    store_category text NOT NULL CHECK (store_category IN ('refill_zero', 'cafe_bakery',
        'vegan_dining', 'upcycle_recycle', 'book_workshop', 'market_mart', 'lodging',
        'public_dropbox', 'general')),
    pickup_categories text[] NOT NULL DEFAULT '{}',
    road_address text,
    lot_address text,
    search_address text NOT NULL
        GENERATED ALWAYS AS (coalesce(road_address, '') || ' ' || coalesce(lot_address, '')) STORED,
    phone text,
    place_url text,
    kakao_place_id text,
    collection_items text,
    introduction text,
    opening_hours jsonb,  -- {"always": true} | {"mon": ["09:00", "18:00"], ...}; NULL: unknown
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT location_sites_source_key UNIQUE (source, source_id)
);

CREATE INDEX location_sites_geog_idx ON location_sites USING gist (geog);
CREATE INDEX location_sites_name_trgm_idx ON location_sites USING gin (name gin_trgm_ops);
CREATE INDEX location_sites_address_trgm_idx
    ON location_sites USING gin (search_address gin_trgm_ops);
