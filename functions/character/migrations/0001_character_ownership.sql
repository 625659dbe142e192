-- Who owns which character. The catalog itself is content shipped with the code
-- (functions/character/data/characters.json), so there is no characters table: the grant
-- use case checks codes against the catalog before anything is written here.
-- The primary key is the (user, character) uniqueness the domain promises: a second grant,
-- a redelivery or a concurrent duplicate is an INSERT ... ON CONFLICT DO NOTHING.
CREATE TABLE character_ownership (
    user_id uuid NOT NULL,
    character_code text NOT NULL CHECK (character_code ~ '^char-[a-z0-9-]+$'),
    source text NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT character_ownership_user_character_key PRIMARY KEY (user_id, character_code)
);
