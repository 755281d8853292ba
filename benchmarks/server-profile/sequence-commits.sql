SELECT nexus.sequence_commits();
