"""Português."""

MESSAGES: dict[str, str] = {
    "reminder_due": "⏰ Lembrete: *{title}* vence {when}.",
    "reminder_lead": "⏰ Está chegando: *{title}* vence {when} (em {minutes} min).",
    "notice_assigned": "👋 {who} atribuiu uma tarefa a você: *{title}*{due}.",
    "notice_completed": "✅ {who} concluiu *{title}*.",
    "notice_added": "👋 {who} adicionou você ao projeto *{project}*.",
}
