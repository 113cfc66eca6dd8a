"""The knowledge base (知识库): answers operators give at first contact."""
