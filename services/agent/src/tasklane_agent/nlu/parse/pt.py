"""Portuguese (Brazil first, Portugal too): the patterns of the rule parser (see
:mod:`tasklane_agent.nlu.parse` for the order and :class:`tasklane_agent.nlu.parse.common.Grammar`
for the groups).

Written against folded text ("amanha", "concluí" -> "conclui", "você" -> "voce") and the way
people write on WhatsApp: "pra"/"pro", "vc", "tô", "hj", "pfv". Names come after an article
("pro João", "a Ana"): the article is dropped from the name.
"""

from __future__ import annotations

import re

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu.parse.common import Grammar, Lexicon, bag, compile_all
from tasklane_agent.nlu.parse.smalltalk import ORDINALS

_WHO = r"(?P<who>@?[a-z][\w'.-]*(?:\s+[a-z][\w'.-]*){0,2})"
_WHO1 = r"(?P<who>@?[a-z][\w'.-]*)"
_TO = r"(?:pra|pro|para o|para a|para|ao|a|à|pros|pras)"
_TASK = r"(?:tarefa|tarefas|lembrete|pendencia|to-?do)"
_DONE = r"(?:feit[oa]s?|pront[oa]s?|concluid[oa]s?|terminad[oa]s?|finalizad[oa]s?|resolvid[oa]s?|entregue)"
_PT_ORDINALS = ("primeira", "primeiro", "segunda", "segundo", "terceira", "terceiro", "quarta", "quarto",
                "quinta", "quinto")  # fmt: skip
LANG: Lang = "pt"

LEXICON = Lexicon(
    lang=LANG,
    pronoun=re.compile(
        r"(?:isso|isto|essa|esse|esta|este|ela|ele|aquela|aquele|essa tarefa|esta tarefa|a ultima|a mesma)"
    ),
    ordinals={k: ORDINALS[k] for k in _PT_ORDINALS},
    ref_lead=re.compile(
        r"(?:a|o|as|os|minha|meu|uma|um|tarefa|tarefas|numero|n|no|de|do|da|dos|das|sobre|pra|pro|para|"
        r"chamada|que diz|ao|na|em|com)(?:\s+|$)"
    ),
    ref_trail=re.compile(
        r"(?:^|\s+)(?:tarefa|por favor|pfv|pf|ja|tambem|agora|data|prazo)$|\s+(?:da|na)\s+(?:minha\s+)?lista$"
    ),
    question_words=bag(
        "que como quando onde quem qual quais por porque e eh esta estao tem tenho voce vc eu ta tu"
    ),
    name_lead=re.compile(rf"(?:{_TO}\s+)?(?:(?:o|a)\s+)?@?"),
    self_words=bag("mim eu me") | {"mim mesmo", "mim mesma"},
    title_lead=re.compile(r"(?:de|que|pra|para|a|e|tambem)(?:\s+|$)"),
    title_trail=re.compile(
        r"(?:^|\s+)(?:pra|pro|para|ate|em|no|na|de|e|a|o|do|da|antes|com|que|por favor|pfv|pf|ne|eh)$"
    ),
    project_lead=re.compile(r"(?:o|a|meu|nosso|projeto|proj|ao|no|na|pro|pra|para|do|da|de|em)(?:\s+|$)|#"),
    project_trail=re.compile(r"(?:^|\s+)(?:projeto|equipe|time)$"),
    definite=re.compile(r"(?:o|a|os|as|meu|minha|essa|esse|esta|este|tarefa)\b"),
    date_links=bag("pra pro para ate a o dia"),
)

GRAMMAR = Grammar(
    lex=LEXICON,
    polite_prefix=re.compile(
        # A greeting first, how-are-you and all: "Boa tarde. Tenho consulta ...", "oi, tudo bem? ...".
        r"(?:(?:bom dia|boa tarde|boa noite|boas|(?:oi|ola|opa)(?:[\s,]+tudo\s+(?:bem|bom|certo|joia))?"
        r"|tudo\s+(?:bem|bom|certo|joia)|com licenca|por gentileza|se (?:possivel|puder)|eita|vish|nossa"
        r"|na vdd|quer dizer|alias|bah|xi+|putz|afe|aff|oxe|oxente|uai|ixi|poxa|puts|eita+|ih)\b[\s,!.?]*)*"
        r"(?:(?:oi|ola|opa|e ai|entao|ok|beleza|blz|bom|olha|ei|hey|ah|tipo|espera|pera|ops|na verdade|"
        r"desculpa|e)\b[\s,!.]*)*"
        r"(?:(?:por favor|pfv|pf|pfvr|porfa|voce pode|vc pode|voce poderia|vc poderia|pode|poderia|consegue|"
        r"da pra|quero que voce|quero que vc|preciso que voce|preciso que vc|tem como|ja)\b[\s,]*)*"
    ),
    polite_suffix=re.compile(
        r"[\s,.!]*\b(?:(?:muito\s+)?obrigad(?:o|a|ao|inho|inha)(?:\s+(?:desde ja|mesmo))?|desde ja|agradeco"
        r"|grat[oa]|valeu(?:\s+mesmo)?|vlw|obg|brigad[oa]|bjs|beijos?|abracos?|abs|por favor|pfv|pf|pfvr"
        # "desfaz aí", "anota aí": a filler at the end of a request.
        r"|porfa|pls|please|ai)$"
    ),
    timezone=compile_all(
        r"(?:muda|mude|mudar|coloca|coloque|colocar|configura|configure|atualiza|ajusta|troca|troque|define|"
        r"defina|bota)\s+(?:o\s+)?(?:meu\s+)?fuso(?:\s+horario)?\s*(?:para|pra|pro|como|:)?\s*"
        r"(?:o\s+(?:de\s+)?|de\s+)?(?P<zone>.+)",
        r"(?:o\s+)?(?:meu\s+)?fuso(?:\s+horario)?\s*(?:e|eh|:|=|agora e)?\s*(?:o\s+(?:de\s+)?"
        r"|de\s+)?(?P<zone>.+)",
        r"(?:usa|use|coloca)\s+(?:o\s+)?horario\s+de\s+(?P<zone>.+)",
    ),
    timezone_implicit=compile_all(
        r"(?:agora\s+)?(?:eu\s+)?(?:estou|to|tou|moro|estamos)\s+(?:agora\s+)?(?:em|no|na"
        r"|nos)\s+(?P<zone>.+?)"
        r"(?:\s+(?:agora|essa semana|por enquanto))?",
        r"(?:eu\s+)?(?:me mudei|mudei|mudamos|vou me mudar)\s+(?:para|pra|pro)\s+(?:o\s+|a\s+)?(?P<zone>.+)",
    ),
    list_projects=compile_all(
        r"(?:(?:mostra|mostre|me mostra|ver|lista|listar|quais sao|quais)\s+)?(?:todos\s+)?(?:os\s+)?"
        r"(?:(?:meus|nossos|os)\s+)?projetos",
        r"(?:que|quais)\s+projetos\s+(?:eu\s+)?(?:tenho|temos|existem|tem)",
        r"em\s+que\s+projetos\s+(?:eu\s+)?(?:estou|to|participo)",
    ),
    create_project=compile_all(
        r"(?:cria|criar|crie|faz|faca|fazer|novo|adiciona|adicionar|abre|abrir|comeca|comecar|inicia|iniciar|"
        r"monta)\s+(?:(?:um|o)\s+)?(?:novo\s+)?projeto(?:\s*[:\-]\s*|\s+(?:chamado|com o nome|com nome|"
        r"de nome|pra|para)\s+|\s+)(?P<name>.+)",
    ),
    project_status=compile_all(
        r"como\s+(?:esta|ta|vai|anda|andam|estao|tao)\s+(?P<name>(?:o\s+|a\s+)?projeto\s+.+)",
        r"como\s+(?:esta|ta|vai|anda)\s+(?:o\s+|a\s+)?(?P<name>.+?)\s+(?:indo|andando)",
        r"como\s+(?:vai|anda|ta indo|esta indo)\s+(?:o\s+|a\s+)?(?P<name>.+)",
        r"como\s+(?:esta|ta|anda)\s+(?:o|a|os|as)\s+(?P<name>.+)",
        r"(?:qual\s+(?:e\s+)?o\s+)?(?:status|andamento|progresso|situacao)\s+(?:do|da|de|no)\s+(?P<name>.+)",
        r"como\s+(?:estao|vao|andam)\s+(?:os\s+)?(?:meus\s+|nossos\s+)?projetos"
        r"|status dos (?:meus\s+)?projetos"
        r"|(?:status|andamento|progresso)(?:\s+do\s+projeto)?",
    ),
    add_member=compile_all(
        r"(?:adiciona|adicionar|adicione|coloca|colocar|coloque|bota|botar|poe|inclui|incluir|inclua|convida|"
        rf"convidar|convide|mete)\s+(?:o\s+|a\s+)?{_WHO}\s+(?:ao|no|na|pro|pra|para o|para a|para|em|a)\s+"
        r"(?P<project>.+)",
        rf"(?:compartilha|compartilhe|compartilhar)\s+(?P<project>.+?)\s+com\s+(?:o\s+|a\s+)?{_WHO}",
    ),
    undo=compile_all(
        r"(?:desfaz|desfazer|desfaca|reverte|reverter|volta|voltar)\s+(?:isso|isto|a ultima|o ultimo|"
        r"a ultima acao|a ultima mudanca|o que (?:voce|vc) fez|atras)"
    ),
    clear_due=compile_all(
        r"(?:tira|tirar|tire|remove|remover|remova|apaga|apagar|apague|exclui|excluir|limpa"
        r"|limpar)\s+(?:a\s+|o\s+)?"
        r"(?:data|prazo)(?:\s+(?:de entrega|limite|de vencimento))?\s*(?:(?:da|do|de|na|no)\s+(?P<ref>.+))?",
        r"(?P<ref>.+?)\s+sem\s+(?:data|prazo)",
        r"sem (?:data|prazo)(?:\s+(?:pra|para|na|no)\s+(?P<ref>.+))?",
        r"(?:deixa|deixe)\s+(?P<ref>.*?)\s*sem (?:data|prazo)",
    ),
    rename=compile_all(
        r"(?:renomeia|renomear|renomeie)\s+(?P<ref>.*?)\s+(?:para|pra|como)\s+(?P<title>.+)",
        r"(?:muda|mude|mudar|troca|troque|trocar)\s+o\s+(?:nome|titulo)\s+(?:d[aoe]\s+(?P<ref>.+?)\s+)?"
        r"(?:para|pra)\s+(?P<title>.+)",
        r"(?:renomeia|renomeie)\s+(?:para|pra)\s+(?P<title>.+)",
    ),
    reopen=compile_all(
        r"(?:reabre|reabrir|reabra|reativa|reativar|reative|desmarca|desmarcar|desmarque)\s*(?P<ref>.*)",
        r"(?:marca|marcar|marque|coloca|coloque)\s+(?P<ref>.*?)\s*como\s+(?:pendente|nao feita|nao feito|"
        r"aberta|aberto|nao concluida|a fazer)",
        rf"(?P<ref>.+?)\s+(?:ainda\s+)?(?:nao|n)\s+(?:esta|ta|foi)\s+{_DONE}",
        r"(?:ainda\s+)?nao\s+(?:terminei|conclui|acabei|fiz)\s+(?P<ref>.+)",
    ),
    complete=compile_all(
        rf"(?:marca|marcar|marque|coloca|coloque|bota)\s+(?P<ref>.*?)\s*como\s+{_DONE}",
        r"(?:ja\s+)?(?:conclui|terminei|acabei|fiz|finalizei|completei|resolvi|fechei"
        r"|entreguei)\s+(?P<ref>.+)",
        r"(?:concluir|conclua|termina|terminar|finaliza|finalizar|finalize|fecha|fechar|feche|completa|"
        r"completar|risca|riscar|risque|tica|ticar)\b\s*(?P<ref>.*)",
        # "a 3 eu já fiz", "a 2 já terminei": the task first, then the verb.
        r"(?P<ref>.+?)\s+(?:eu\s+)?ja\s+(?:a\s+|o\s+)?(?:fiz|terminei|conclui|acabei|fizemos|terminamos)",
        rf"(?P<ref>.+?)\s+(?:ja\s+)?(?:esta\s+|estao\s+|ta\s+|tao\s+|foi\s+|foram\s+)?{_DONE}(?:\s+ja)?",
        rf"{_DONE}\s*[:\-]?\s+(?P<ref>.+)",
        # "boleto pago", "relatório enviado", "remédio tomado": the work's participle after it.
        r"(?P<ref>.+?)\s+(?:ja\s+)?(?:esta\s+|estao\s+|ta\s+|tao\s+|foi\s+|foram\s+)?(?:(?:enviad|mandad|tomad"
        r"|lavad|comprad|assinad|arrumad|postad|publicad|corrigid|revisad|respondid|devolvid|renovad|quitad"
        r"|buscad|levad|entregad|limpad)[oa]s?|pag[oa]s?|impress[oa]s?|limp[oa]s?)(?:\s+ja)?",
        # "a 1 e a 3 já foram", "o boleto já era": gone, so done.
        r"(?P<ref>.+?)\s+(?:ja\s+(?:foi|foram|era|eram)|(?:foi|foram)\s+ja)",
        rf"(?:marca|marcar|marque|coloca|coloque|bota)\s+como\s+{_DONE}\s*(?P<ref>.*)",
    ),
    delete=compile_all(
        r"(?:apaga|apagar|apague|exclui|excluir|exclua|deleta|deletar|delete|remove|remover|remova|tira"
        r"|tirar|tire|cancela|cancelar|cancele|descarta|descartar|joga fora|esquece|elimina|eliminar)\b"
        r"\s*(?P<ref>.*)",
        # "a 2 pode apagar", "a reunião de sexta foi cancelada", "cancelaram o treino"
        r"(?P<ref>.+?)\s+(?:pode|podes|pode ja)\s+(?:apagar|excluir|deletar|tirar|remover|cancelar)",
        r"(?P<ref>.+?)\s+(?:foi|foram)\s+(?:cancelad|desmarcad)[oa]s?",
        r"(?:cancelaram|desmarcaram)\s+(?P<ref>.+)",
    ),
    assign=compile_all(
        r"(?:atribui|atribuir|atribua|passa|passar|passe|repassa|repassar|da|dar|delega|delegar|delegue|"
        rf"designa|designar|designe|entrega|entregar)(?:\s+(?P<ref>.*?))?\s+{_TO}\s+(?:o\s+|a\s+)?{_WHO}",
    ),
    update_verb=re.compile(
        r"(?:(?P<up>prioriza|priorizar|priorize)|(?P<down>despriorizar)|(?P<strong>adia|adiar|adie|posterga"
        r"|postergar|posterge|atrasa|atrasar|atrase|"
        r"adianta|adiantar|adiante|antecipa|antecipar|antecipe|reagenda|reagendar|reagende|remarca|remarcar|"
        r"remarque|empurra|empurrar|adiaram|remarcaram|transferiram|anteciparam|empurraram|mudaram"
        r"|passaram)|muda|mudar|mude|coloca|colocar|coloque|bota|botar|poe|ponha|move|mover|"
        r"mova|passa|passar|passe|atualiza|atualizar|atualize|marca|marcar|marque|deixa|deixar|deixe|troca|"
        r"trocar|troque|altera|alterar|altere|joga|jogar|edita|editar)(?:\s+|$)"
    ),
    update_project=re.compile(
        r"(?:^|\s)(?:pro|pra|para o|para|ao|no|na|em)\s+(?P<project>(?:o\s+)?projeto\s+.+)$"
    ),
    # "... às 4 e media" ends in a clock, not in a level.
    update_level=re.compile(
        r"(?:^|\s)(?:(?:pra|para|como|de|em)\s+)?(?:prioridade\s+)?(?<!\d\se\s)(?P<lvl>alta|baixa|media|normal|urgente)$"
    ),
    update_clear=re.compile(
        r"(?:^|\s)(?:e\s+)?(?:tira|tire|remove|sem|apaga|limpa)\s+(?:a\s+|o\s+)?(?:data|prazo)"
    ),
    update_into=re.compile(r"(?:^|\s)(?:pro|pra|para o|para a|no|na|em|ao)\s+(?P<project>\S.*)$"),
    change_joiner=re.compile(
        r"\be\b(?:\s+(?:muda|mude|coloca|coloque|passa|deixa|deixe|bota|que seja|joga)(?:\s+(?:ela|isso))?)?"
        r"|\btambem\b"
    ),
    change_lead=re.compile(
        r"(?:a\s+|o\s+)?(?:data|prazo|prioridade|titulo|nome|vencimento)(?:\s+(?:de entrega|limite))?\s+"
        r"(?:da|do|de|das|dos)(?:\s+|$)"
    ),
    change_trail=re.compile(
        r"(?:^|\s+)(?:pra|pro|para|como|e|ate|a|o|em|de|com|no|na)$|\s+(?:a\s+|o\s+)?(?:data|prazo"
        r"|prioridade)$"
    ),
    list_vocabulary=bag(
        """o que tenho tem temos minhas minha meus meu as os a tarefas tarefa pendentes pendente mostra
        mostre mostrar me ver lista listar quais qual sao pra para de do da falta faltam fazer abertas
        abertos em no na e algo alguma algum esta estao eu ja cade agenda coisas mim ai ta to ainda agora
        quero saber tem pro dos das vence vencem vencendo ficou ficaram tras deixei
        marcado marcada marcados marcadas agendado agendada agendados agendadas q oq coisa manda mande
        envia envie bora vamos ve mostra-me mostre-me mostrem lembra"""
    ),
    list_triggers=bag(
        "tarefas tarefa pendentes pendente lista agenda mostra mostre mostrar ver tenho tem falta faltam "
        "cade listar temos vence vencem"
    ),
    list_scopes=(
        (
            re.compile(
                r"\b(?:atrasad[oa]s?|vencid[oa]s?|em atraso|passou do prazo|passaram do prazo"
                r"|fora do prazo|(?:ficou|ficaram|deixei|esqueci) (?:pra|para) tras)\b"
            ),
            "overdue",
        ),
        (re.compile(rf"\b(?:{_DONE}|terminei|conclui|fiz|acabei)\b"), "done"),
        (re.compile(r"\b(?:hoje|hj|esta noite|hoje a noite)\b"), "today"),
        (re.compile(r"(?<!depois de )\b(?:amanha|amn|amnh)\b"), "tomorrow"),
        (re.compile(r"\b(?:proxima semana|semana que vem|semana proxima)\b"), "next_week"),
        (
            re.compile(r"\b(?:essa semana|esta semana|nesta semana|nessa semana|da semana|semana|semanal)\b"),
            "week",
        ),
        (re.compile(r"\b(?:todas|todos|tudo)\b"), "all"),
    ),
    list_project=re.compile(r"(?:^|\s)(?:do|da|de|no|na|em|pro|pra|para)\s+(?P<project>\S.*)$"),
    list_nouns_after_project=frozenset(),
    create_prefix=compile_all(
        # "adiciona uma tarefa no projeto X: ...", "pro projeto X: ..."
        r"(?:adiciona|cria|nova)\s+(?:(?:uma|a)\s+)?(?:nova\s+)?tarefa\s+(?:no|na|ao|pro|pra|para o|em|do"
        r"|da)\s+"
        r"(?P<project>[^:]+?)\s*:\s*",
        r"(?:nova\s+)?(?:tarefa|lembrete|pendencia)\s*[:\-\u2013\u2014]\s*",
        r"(?:pro|pra|para o|no|na)\s+(?P<project>(?:o\s+)?projeto\s+[^:]+?)\s*:\s*",
        r"(?:cria|criar|crie|adiciona|adicionar|adicione|anota|anotar|anote|coloca|coloque|bota|poe|faz|faca|"
        r"nova|novo|registra|salva|inclui)\s+(?:(?:uma|um|a|outra|nova|me|ai)\s+)*(?:nova\s+)?"
        rf"{_TASK}\b(?:\s+(?P<adj>urgente|importante|prioritaria))?\s*(?:[:\-\u2013\u2014]|\bpra\b|\bpara\b|"
        r"\bde\b|\bque\b|\bchamada\b|\bsobre\b)?\s*",
        r"(?:nova\s+)?(?:tarefa|lembrete|pendencia)\s*[:\-\u2013\u2014]\s*",
        # Formal and European forms too: "queria que me lembrasse de", "pode lembrar-me de",
        # "recorde-me", "não me deixes esquecer".
        r"(?:(?:(?:eu\s+)?(?:queria|quero|gostaria|gostava)\s+que\s+)?(?:(?:voce|vc|o senhor|a senhora)\s+)?"
        r"(?:me\s+(?:lembr(?:a|e|ar|asse|aria|as|es)|recorda|recorde|recordar)|lembra\s+(?:de\s+)?me"
        r"|(?:lembr(?:e|a|ar|asse|em)|record(?:a|e|ar))-me|lembrem-me|lembrete"
        r"|nao\s+me\s+deix(?:a|e|es)\s+esquecer|nao\s+(?:se\s+)?esquec(?:e|er|a|as)|me\s+avis(?:a|e|ar)"
        r"|avis(?:a|e)-me))\b"
        r"(?:\s+(?:de|d|que|q|do|da|sobre|pra|para)\b)?\s*[:\-]?\s*",
        # "lembrar de ligar pro encanador", "quero lembrar de pagar o IPTU": what to remember.
        r"(?:(?:eu\s+)?(?:quero|queria|preciso|tenho\s+que|tenho\s+de|vou|devo)\s+)?(?:me\s+)?lembrar"
        r"\s+(?:de|que|do|da)\s+",
        r"(?:tenho que|temos que|preciso|precisamos|tenho de|devo|vou ter que)\s+(?:de\s+)?",
        # "marca-me uma reunião com ...", "agenda uma call": the meeting is the title.
        r"(?:marca|marque|agenda|agende)(?:-me|\s+(?:me|ai|pra\s+mim))?\s+(?:(?:uma|um)\s+)?"
        r"(?=(?:reuniao|reunioes|call|consulta|visita|chamada|entrevista|conversa|almoco|jantar|encontro"
        r"|dentista|medico|medica|exame|exames|cabeleireiro|cabeleireira|manicure|fisioterapia|fisio|terapia"
        r"|psicologo|psicologa|pediatra|oftalmologista|dermatologista|ginecologista|cardiologista|nutricionista"
        r"|retorno|vacina|corte|massagem|aula"
        r"|sessao|videochamada|1:1|one on one)\b)",
        rf"(?:pede|peca|pedir|fala|diz|avisa)\s+(?:pro|pra|para o|para a|ao|a|o)\s+{_WHO1}\s+(?:pra\s+"
        rf"|para\s+|que\s+)?",
        r"(?:adiciona|anota|coloca|bota|poe)\s+(?:na|a)\s+(?:minha\s+)?(?:lista|tarefas|agenda)\s*[:\-]?\s*",
        # "queria apontar uma coisa: ...", "aponta aí: ..." (Portugal), "quero anotar: ...".
        r"(?:(?:eu\s+)?(?:queria|quero|gostaria de|gostava de)\s+)?(?:anotar|apontar|registar|registrar)"
        r"(?:\s+(?:uma coisa|umas coisas|algo|isto|isso|aqui|ai))?\s*[:\-]\s*",
        r"(?:adiciona|adicionar|adicione|anota|anotar|anote|aponta|aponte|apontar|regista|inclui)(?:\s+ai)?"
        r"\s*[:\-]?\s+",
        # "bota aí reunião com o fornecedor ...": with "aí" these put a new task on the list.
        r"(?:bota|coloca|poe|poem)\s+ai\s*[:\-]?\s+",
        # "coloca fazer o protótipo no figma ...": an infinitive after them is a thing to do.
        r"(?:bota|bote|coloca|coloque|poe|ponha)\s+(?=(?!(?:lugar|qualquer|par|mar|bar|ser|estar)\b)"
        r"[a-z]{2,}(?:ar|er|ir)\s)",
    ),
    create_whole=compile_all(
        r"(?:adiciona|adicionar|adicione|coloca|coloque|bota|poe|anota|inclui|cria|crie)\s+(?:(?:a"
        r"|uma)\s+tarefa\s+)?"
        r"(?P<body>.+?)(?P<cut>\s+(?:no|na|ao|pro|pra|para o|para a|em|a)\s+(?P<target>(?:minha\s+)?(?:lista|"
        r"tarefas|agenda)(?:\s+de\s+\S+)?|(?:o\s+)?projeto\s+.+?))(?P<tail>(?:\s*,|\s+(?:e|pra|para|ate"
        r"|amanha|"
        r"hoje|antes|em\s+\d|toda|todo|todos|urgente|com|no dia|na|no)\b).*)?",
    ),
    task_project=re.compile(
        r".*(?P<cut>(?:^|\s)(?:no|na|ao|pro|pra|para o|para|do|da"
        r"|em)\s+(?P<project>(?:o\s+)?projeto\s+[^,]+?))"
        r"(?=\s*(?:,|$|\be\b))|(?P<tag>(?:^|\s)#(?P<hashtag>[a-z][\w-]*))"
    ),
    task_assignee=re.compile(
        rf"(?P<cut>[\s,]*(?:\be\s+)?\b(?:atribui|atribua|passa|passe|designa|delega|da)\s+(?:ela\s+|isso\s+|"
        rf"essa\s+)?{_TO}\s+(?:o\s+|a\s+)?{_WHO})$|(?P<at>\s@(?P<handle>[a-z][\w.-]*))"
    ),
    implicit_block=bag(
        """que o a os as um uma quando onde quem como qual quais por porque e eh esta estou to ta tem tenho
        eu meu minha voce vc isso isto essa nao sim ok obrigado obrigada valeu kkk haha oi ola bom boa mas
        ou tambem apaga apagar exclui remove tira cancela marca muda move passa atribui reabre desfaz
        mostra ver me te se lhe feliz ate tchau acho"""
    ),
)
