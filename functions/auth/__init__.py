"""Auth: OAuth login (Google, Kakao, Naver, dev), JWT sessions with rotation, revocation."""
