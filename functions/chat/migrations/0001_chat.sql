-- Conversations and their messages. Counters, preview, last-message time and the active run
-- live on the conversation row and change in the same transaction as the message that changes
-- them (the row is locked with FOR UPDATE), so concurrent writers cannot make them disagree.
CREATE TABLE chat_conversations (
    id uuid PRIMARY KEY,
    user_id text NOT NULL,
    title text NOT NULL,
    titled boolean NOT NULL DEFAULT false,
    preview text NOT NULL DEFAULT '',
    message_count integer NOT NULL DEFAULT 0,
    last_message_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    deleted_at timestamptz,
    active_job_id uuid,
    active_since timestamptz
);
-- The list: newest activity first, per owner, deleted ones left out.
CREATE INDEX chat_conversations_activity ON chat_conversations
    (user_id, (coalesce(last_message_at, created_at)) DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE chat_messages (
    id uuid PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES chat_conversations (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    role text NOT NULL CHECK (role IN ('user', 'assistant')),
    content text NOT NULL,
    image_url text,
    job_id uuid,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (conversation_id, seq)
);
