"""Español."""

MESSAGES: dict[str, str] = {
    "reminder_due": "⏰ Recordatorio: *{title}* vence {when}.",
    "reminder_lead": "⏰ Se acerca: *{title}* vence {when} (en {minutes} min).",
    "notice_assigned": "👋 {who} te asignó una tarea: *{title}*{due}.",
    "notice_completed": "✅ {who} completó *{title}*.",
    "notice_added": "👋 {who} te agregó al proyecto *{project}*.",
}
