-- Every ownership belongs to a user that exists: a grant for an unknown user id (a forged or
-- stale event) fails instead of storing an orphan row. Rows that already reference no user can
-- only have come from such events; they are removed so the constraint can hold.
DELETE FROM character_ownership o
WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = o.user_id);

ALTER TABLE character_ownership
    ADD CONSTRAINT character_ownership_user_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
