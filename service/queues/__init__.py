"""Work lists (工作队列): what waits for whom, and the deadline warnings they are sorted by."""
