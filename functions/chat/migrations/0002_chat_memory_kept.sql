-- Whether the agent still keeps this conversation's checkpoints (its memory). The checkpoint
-- sweep forgets those of deleted conversations and of ones idle past the TTL; a new message
-- makes the conversation remembered again.
ALTER TABLE chat_conversations ADD COLUMN memory_kept boolean NOT NULL DEFAULT true;
CREATE INDEX chat_conversations_remembered ON chat_conversations
    ((coalesce(last_message_at, created_at))) WHERE memory_kept;
