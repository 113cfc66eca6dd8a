"""Appeals (诉求工单): intake from every channel, the record, its event log, its assignments."""
