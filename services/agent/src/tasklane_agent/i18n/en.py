"""English."""

MESSAGES: dict[str, str] = {
    "reminder_due": "⏰ Reminder: *{title}* is due {when}.",
    "reminder_lead": "⏰ Coming up: *{title}* is due {when} (in {minutes} min).",
    "notice_assigned": "👋 {who} assigned you a task: *{title}*{due}.",
    "notice_completed": "✅ {who} completed *{title}*.",
    "notice_added": "👋 {who} added you to the project *{project}*.",
}
