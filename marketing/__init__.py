"""Marketing: segments, campaigns, SMS/email broadcasts, reminders and the messaging pipeline."""
