"""Spanish: the patterns of the rule parser (see :mod:`tasklane_agent.nlu.parse` for the order and
:class:`tasklane_agent.nlu.parse.common.Grammar` for the groups).

Written against folded text ("recuerdame", "manana", "terminé" -> "termine"), with both the
imperative ("borra"), the infinitive ("borrar", after "puedes ...") and the clitic forms people type
("bórrala", "cámbiala", "asígnasela"): a clitic is captured as ``cl`` and means "the task last
referred to".
"""

from __future__ import annotations

import re

from tasklane_agent.domain.language import Lang
from tasklane_agent.nlu.parse.common import Grammar, Lexicon, bag, compile_all
from tasklane_agent.nlu.parse.smalltalk import ORDINALS

_WHO = r"(?P<who>@?[a-z][\w'.-]*(?:\s+[a-z][\w'.-]*){0,2})"
_WHO1 = r"(?P<who>@?[a-z][\w'.-]*)"
_CL = r"(?P<cl>sela|selo|la|lo|las|los|le)?"
_TASK = r"(?:tarea|tareas|recordatorio|pendiente|to-?do)"
_DONE = (
    # "mi lista", "la lista": the list itself, never "ready" ("pásame la lista" completes nothing).
    r"(?:hech[oa]s?|(?<!\bmi )(?<!\bla )(?<!\btu )(?<!\bsu )(?<!\bde )(?<!\ba )list[oa]s?|terminad[oa]s?"
    r"|completad[oa]s?|finalizad[oa]s?|acabad[oa]s?|realizad[oa]s?|cumplid[oa]s?)"
)
_ES_ORDINALS = ("primera", "primero", "segunda", "segundo", "tercera", "tercero", "cuarta", "cuarto",
                "quinta", "quinto")  # fmt: skip
LANG: Lang = "es"

LEXICON = Lexicon(
    lang=LANG,
    pronoun=re.compile(
        r"(?:eso|esa|ese|esto|esta|este|ella|la|lo|esa tarea|esta tarea|la ultima|la misma|esa misma)"
    ),
    ordinals={k: ORDINALS[k] for k in _ES_ORDINALS},
    ref_lead=re.compile(
        r"(?:la|el|las|los|lo|mi|mis|una|un|tarea|tareas|pendiente|numero|nro|n|no|de|del|sobre|para|"
        r"llamada|que dice|a|al|en|con)(?:\s+|$)"
    ),
    ref_trail=re.compile(
        r"(?:^|\s+)(?:tarea|por favor|porfa|ya|tambien|ahora|fecha|plazo|mejor)$"
        r"|\s+(?:de|en)\s+(?:mi|la)\s+lista$"
    ),
    question_words=bag(
        "que como cuando donde quien cual cuales por porque es esta estan hay tengo tu yo usted"
    ),
    name_lead=re.compile(r"(?:(?:a|al|para)\s+|@)"),
    self_words=bag("mi yo me mismo misma") | {"mi mismo", "mi misma"},
    title_lead=re.compile(r"(?:que|de|para|a|y|luego|tambien)(?:\s+|$)"),
    title_trail=re.compile(
        r"(?:^|\s+)(?:para|el|la|los|las|en|a|de|y|antes|hasta|por|al|del|con|es|que|porfa|por favor)$"
    ),
    project_lead=re.compile(r"(?:el|la|mi|nuestro|proyecto|proy|al|a|en|del|de|para)(?:\s+|$)|#"),
    project_trail=re.compile(r"(?:^|\s+)(?:proyecto|equipo)$"),
    definite=re.compile(r"(?:el|la|los|las|mi|mis|esa|ese|esta|este|tarea|lo\s+del?)\b"),
    date_links=bag("a al para hasta pa"),
)

GRAMMAR = Grammar(
    lex=LEXICON,
    polite_prefix=re.compile(
        # "buenaaas", "holaa", "buenas tardes": a greeting before the request is no greeting alone.
        r"(?:(?:hola+|oye|oiga|bueno|pues|ok|vale|entonces|ah|eh|mira|hey|buena+s|buenos dias|y|espera|perdon"
        r"|perdone|ups|mejor|en realidad|ademas|tardes|noches|dias|uy|ay|uf|uff|bah|chale|hijole|pucha|ufa"
        r"|ojo|che|weon|wey|guey)\b[\s,!.]*)*"
        r"(?:(?:por favor|porfa|porfis|porfavor|puedes|podrias|me puedes|me podrias|quiero que|necesito que|"
        r"quisiera que|serias tan amable de|ya|me podria|podria|me puede|puede|usted|me hace el favor de"
        r"|hagame el favor de|me haces el favor de|quisiera)\b[\s,]*)*"
    ),
    polite_suffix=re.compile(r"[\s,]*\b(?:por favor|x favor|porfa|porfis|porfavor|gracias|plis|pls|please)$"),
    timezone=compile_all(
        r"(?:cambia|cambiar|pon|poner|configura|configurar|establece|actualiza|ajusta)\s+(?:mi\s+|la\s+)?"
        r"zona\s+horaria\s*(?:a|en|para|como|:)?\s*(?:la\s+de\s+)?(?P<zone>.+)",
        r"(?:mi\s+|la\s+)?zona\s+horaria\s*(?:es|:|=|sera)?\s*(?:la\s+de\s+)?(?P<zone>.+)",
        r"(?:usa|pon)\s+(?:la\s+)?hora\s+de\s+(?P<zone>.+)",
    ),
    timezone_implicit=compile_all(
        r"(?:ahora\s+)?(?:estoy|vivo|me encuentro|estamos)\s+(?:ahora\s+)?en\s+(?P<zone>.+?)"
        r"(?:\s+(?:ahora|esta semana|por ahora))?",
        r"(?:me\s+)?(?:mude|he mudado|mudamos|me voy a mudar|nos mudamos)\s+a\s+(?P<zone>.+)",
    ),
    list_projects=compile_all(
        r"(?:(?:muestrame|muestra|ver|dame|lista|listar|ensename|cuales son)\s+)?(?:todos\s+)?(?:(?:mis|los|"
        r"nuestros)\s+)?proyectos",
        r"(?:que|cuales)\s+proyectos\s+(?:tengo|hay|tenemos)",
        r"en\s+que\s+proyectos\s+estoy",
    ),
    create_project=compile_all(
        r"(?:crea|crear|creame|haz|hazme|hacer|nuevo|agrega|agregar|anade|anadir|abre|abrir|empieza|inicia"
        r"|arma)"
        r"\s+(?:(?:un|el|uno)\s+)?(?:nuevo\s+)?proyecto(?:\s*[:\-]\s*|\s+(?:llamado|que se llame"
        r"|con el nombre|"
        r"con nombre|de nombre|nombrado|para)\s+|\s+)(?P<name>.+)",
    ),
    project_status=compile_all(
        r"(?:como|que tal)\s+(?:va|van|vamos con|vamos en|anda|andan|avanza|avanzamos con"
        r"|sigue|viene|vienen|marcha|camina)\s+(?P<name>.+)",
        r"(?:como|que tal)\s+(?:esta|estan)\s+(?P<name>(?:el\s+)?proyecto\s+.+)",
        r"que tal\s+(?P<name>(?:el\s+)?proyecto\s+.+)",
        r"(?:cual es el\s+|dame el\s+)?(?:estado|progreso|avance|status)\s+(?:del|de la|de"
        r"|en)\s+(?P<name>.+)",
        r"(?:como|que tal)\s+(?:van|estan|andan)\s+(?:mis|los|nuestros)\s+proyectos|(?:estado|progreso"
        r"|avance)"
        r"(?:\s+de\s+(?:mis|los)\s+proyectos|\s+del\s+proyecto)?",
    ),
    add_member=compile_all(
        rf"(?:agrega|agregar|anade|anadir|mete|meter|invita|invitar|suma|sumar|incluye|incluir)(?:le)?\s+"
        rf"(?:a\s+)?{_WHO}\s+(?:al|a|en|en el)\s+(?P<project>.+)",
        rf"(?:agrega|anade|invita)\s+a\s+{_WHO}\s+como\s+(?:miembro|colaborador|colaboradora)"
        r"(?:\s+(?:del|de|en)\s+(?P<project>.+))?",
        rf"comparte\s+(?P<project>.+?)\s+con\s+{_WHO}",
    ),
    undo=compile_all(
        r"(?:deshaz|deshacer|revierte|revertir|anula|anular)\s+(?:eso|esto|lo ultimo|el ultimo cambio|"
        r"la ultima accion|lo que hiciste)"
    ),
    clear_due=compile_all(
        r"(?:quita|quitar|borra|borrar|elimina|eliminar|saca|sacar)(?:le)?\s+(?:la\s+)?(?:fecha(?:\s+limite|"
        r"\s+de vencimiento|\s+de entrega)?|plazo|vencimiento)\s*(?:(?:de|del|a|al|en)\s+(?P<ref>.+))?",
        r"(?P<ref>.+?)\s+sin\s+fecha",
        r"sin fecha(?:\s+(?:para|en)\s+(?P<ref>.+))?",
        rf"deja{_CL}\s+(?P<ref>.*?)\s*sin fecha",
    ),
    rename=compile_all(
        # "cambiarle el nombre a lo de los tamales, que diga encargar tamales ..."
        rf"(?:cambia|cambiar|cambiale|pon|ponle|ponerle){_CL}\s+(?:el\s+)?(?:nombre|titulo)\s+(?:a|de|del)\s+"
        r"(?P<ref>.+?),?\s+(?:que diga|que se llame|para que diga|que quede|que ponga)\s+(?P<title>.+)",
        rf"(?:renombra|renombrar){_CL}\s*(?P<ref>.*?)\s+(?:a|como|por)\s+(?P<title>.+)",
        rf"(?:cambia|cambiar|cambiale|pon|ponle){_CL}\s+el\s+(?:nombre|titulo)(?:\s+(?:de"
        rf"|del)\s+(?P<ref>.+?))?"
        r"\s+(?:a|por|como|en)\s+(?P<title>.+)",
        rf"(?:ponle|llama){_CL}\s+(?:de nombre\s+|como\s+)(?P<title>.+)",
    ),
    reopen=compile_all(
        rf"(?:reabre|reabrir|reactiva|reactivar|desmarca|desmarcar){_CL}\s*(?P<ref>.*)",
        rf"(?:marca|marcar|pon|poner){_CL}\s+(?P<ref>.*?)\s*como\s+(?:pendiente|no hecha|no hecho|abierta|"
        r"sin hacer|no terminada|no completada)",
        rf"(?P<ref>.+?)\s+(?:todavia\s+|aun\s+)?no\s+(?:esta|estaba)\s+{_DONE}",
        r"(?:todavia\s+|aun\s+)?no\s+(?:he\s+)?(?:termine|terminado|acabado|acabe|hecho|hice)\s+(?P<ref>.+)",
    ),
    complete=compile_all(
        rf"(?:marca|marcar|pon|poner|da|dar){_CL}\s*(?P<ref>.*?)\s*(?:como|por)\s+{_DONE}",
        r"(?:ya\s+)?(?P<cl>la|lo)\s+(?:termine|hice|complete|acabe|finalice)",
        r"(?:ya\s+)?(?:termine|acabe|complete|hice|finalice|he terminado|he hecho|he completado|he acabado|"
        r"acabe con|termine con|listo con|lista la|listo el)\s+(?P<ref>.+)",
        rf"(?:completa|completar|termina|terminar|finaliza|finalizar|cierra|cerrar){_CL}\s*(?P<ref>.*)",
        # "la 3 ya la he hecho", "la 2 ya la hice": the task first, then a clitic and the verb.
        r"(?P<ref>.+?)\s+(?:ya\s+)?(?:(?:la|lo|las|los)\s+)?(?:he|hemos)\s+(?:hecho|terminado|completado|acabado"
        r"|finalizado)",
        r"(?P<ref>.+?)\s+ya\s+(?:la|lo|las|los)\s+(?:hice|termine|complete|acabe|hicimos|terminamos)",
        rf"(?P<ref>.+?)\s+(?:ya\s+)?(?:esta\s+|estan\s+|quedo\s+|quedaron\s+|queda\s+|quedan\s+)?{_DONE}(?:\s+ya)?",
        rf"{_DONE}\s+(?P<ref>.+)",
        rf"(?:marca|marcar|pon|poner|da|dar){_CL}\s+(?:como|por)\s+{_DONE}\s*(?P<ref>.*)",
        r"(?P<ref>.+?)\s+ya\s+esta",
    ),
    delete=compile_all(
        r"(?:borra|borrar|elimina|eliminar|quita|quitar|suprime|suprimir|cancela|cancelar|descarta|descartar|"
        rf"olvida|olvidate de){_CL}\s*(?P<ref>.*)",
    ),
    assign=compile_all(
        r"(?:asigna|asignar|asignale|reasigna|reasignar|dale|pasale|pasa|pasar|da|delega|delegar|encarga|"
        rf"encargale){_CL}(?:\s+(?P<ref>.*?))?\s+(?:a|al|para)\s+{_WHO}",
        # "asígnamela", "pásamela": to me, the task last referred to.
        r"(?:asigna|pasa|da)(?P<who>me)(?P<cl>la|lo)(?:\s+(?P<ref>.+))?",
    ),
    update_verb=re.compile(
        r"(?:(?P<up>prioriza|priorizar)|(?P<down>despriorizar)|(?P<strong>pospon|posponer|pospone|"
        r"aplaza|aplazar|retrasa|retrasar|atrasa|atrasar|adelanta|adelantar|reprograma|reprogramar|corre"
        r"|correr)|"
        r"cambia|cambiar|pon|poner|mueve|mover|pasa|pasar|actualiza|actualizar|marca|marcar|deja|dejar|"
        rf"haz|edita|editar|modifica|modificar){_CL}(?:\s+|$)"
    ),
    # "... al proyecto Mudanza, por favor, que es para eso": a remark after a comma is no name.
    update_project=re.compile(
        r"(?:^|\s)(?:al|a|en|para)\s+(?P<project>(?:el\s+)?proyecto\s+[^,]+)(?:\s*,.*)?$"
    ),
    # "... a las 4 y media" ends in a clock, not in a level.
    update_level=re.compile(
        r"(?:^|\s)(?:(?:a|en|como|de)\s+)?(?:prioridad\s+)?(?<!\d\sy\s)(?P<lvl>alta|baja|media|normal|urgente)$"
    ),
    update_clear=re.compile(
        r"(?:^|\s)(?:y\s+)?(?:quita|quitale|quitar|borra|sin|elimina)\s+(?:la\s+)?(?:fecha|plazo)"
    ),
    update_into=re.compile(r"(?:^|\s)(?:a|al|en)\s+(?P<project>\S.*)$"),
    change_joiner=re.compile(
        r"\b(?:y|e)\b(?:\s+(?:que\s+(?:sea|quede|venza)|ponla|ponle|cambiala|muevela|pasala|dejala))?"
        r"|\btambien\b"
    ),
    change_lead=re.compile(
        r"(?:la\s+|el\s+)?(?:fecha|plazo|prioridad|titulo|nombre|vencimiento)(?:\s+limite)?\s+(?:de la|del"
        r"|de)"
        r"(?:\s+|$)"
    ),
    change_trail=re.compile(
        r"(?:^|\s+)(?:a|al|para|como|y|hasta|el|en|de|con)$|\s+(?:la\s+)?(?:fecha|plazo|prioridad)$"
    ),
    list_vocabulary=bag(
        """que tengo tenemos tienes hay mis mi las los la el tareas tarea pendientes pendiente muestra
        muestrame ver lista listar dame dime cuales son para de del me quedan queda falta faltan por
        hacer abiertas abiertos en y algo alguna algun esta estan he has ya ensename mostrar mira agenda
        cosas a sobre con ahi ahora aun todavia lo mostrarme quiero saber llevo llevamos
        pasame mandame manda enviame envia agendado agendada agendados agendadas programado programada
        marcado marcada q k veamos vamos cosa favor podria puede usted ensenar ensenarme mostrarme"""
    ),
    list_triggers=bag(
        "tareas tarea pendientes pendiente lista agenda muestra muestrame ensename dame ver tengo hay "
        "queda quedan falta faltan listar mostrar tenemos mostrarme llevo llevamos"
    ),
    list_scopes=(
        (
            re.compile(r"\b(?:vencid[oa]s?|atrasad[oa]s?|retrasad[oa]s?|caducad[oa]s?|fuera de plazo)\b"),
            "overdue",
        ),
        # Not "lista": it is also the list itself ("mi lista").
        (
            re.compile(
                r"\b(?:hech[oa]s?|terminad[oa]s?|completad[oa]s?|finalizad[oa]s?|acabad[oa]s?|"
                r"he (?:hecho|terminado|completado|acabado)|termine|complete)\b"
            ),
            "done",
        ),
        (re.compile(r"\b(?:hoy|esta noche)\b"), "today"),
        (re.compile(r"(?<!pasado )\b(?:manana)\b"), "tomorrow"),
        (re.compile(r"\b(?:proxima semana|semana que viene|semana proxima)\b"), "next_week"),
        (re.compile(r"\b(?:esta semana|la semana|semana|semanal)\b"), "week"),
        (re.compile(r"\b(?:todas|todos|todo)\b"), "all"),
    ),
    list_project=re.compile(r"(?:^|\s)(?:del|de|en|para)\s+(?P<project>\S.*)$"),
    list_nouns_after_project=frozenset(),
    create_prefix=compile_all(
        # "agrega una tarea al proyecto X: ...", "para el proyecto X: ..."
        r"(?:agrega|anade|crea|nueva)\s+(?:(?:una|la)\s+)?(?:nueva\s+)?tarea\s+(?:al|a|en|para|del)\s+"
        r"(?P<project>[^:]+?)\s*:\s*",
        r"(?:nueva\s+)?(?:tarea|pendiente|recordatorio)\s*[:\-\u2013\u2014]\s*",
        r"(?:para|en)\s+(?P<project>(?:el\s+)?proyecto\s+[^:]+?)\s*:\s*",
        # "anota en el proyecto Duplex: pedir el volquete ..."
        r"(?:anota|anotame|apunta|apuntame|agrega|agregame|anade|pon|ponme|mete|crea)\s+(?:(?:una\s+)?tarea\s+)?"
        r"(?:en|al|a|para)\s+(?P<project>(?:el\s+)?proyecto\s+[^:]+?)\s*:\s*",
        r"(?:crea|crear|creame|haz|hazme|agrega|agregar|agregame|anade|anadir|anademe|anota|anotar|apunta"
        r"|apuntar|"
        r"apuntame|pon|ponme|nueva|guarda|registra|mete)\s+(?:(?:una|un|la|otra|nueva|me)\s+)*(?:nueva\s+)?"
        rf"{_TASK}\b(?:\s+(?P<adj>urgente|importante|prioritaria))?\s*(?:[:\-\u2013\u2014]|\bpara\b|\bde\b|"
        r"\bque\b|\bllamada\b|\bque diga\b|\bsobre\b)?\s*",
        r"(?:nueva\s+)?(?:tarea|pendiente|recordatorio)\s*[:\-\u2013\u2014]\s*",
        r"(?:recuerdame|recordarme|recuerdeme|recordame|acuerdame|acordame|acuerdate de|acordate de"
        r"|no te olvides de|no te olvides|no (?:puedo|debo) olvidar(?:me)? de|no me dejes olvidar"
        r"|no olvides|no olvidar|"
        r"que no se me olvide|recordatorio)\b(?:\s+(?:que|de|sobre)\b)?\s*[:\-]?\s*",
        r"(?:tengo que|tenemos que|necesito|hay que|debo|debemos)\s+",
        # "agendame una reunión con ...", "programa una llamada": the meeting is the title.
        r"(?:agenda|agendame|agendar|programa|programame|agendá)\s+(?:(?:una|un)\s+)?"
        r"(?=(?:reunion|junta|llamada|cita|visita|meeting|call|videollamada|entrevista|almuerzo|cena)\b)",
        rf"(?:pidele|pide|pedile|dile|decile)\s+a\s+{_WHO1}\s+que\s+",
        r"(?:agrega|anade|anota|apunta|pon)\s+(?:en|a)\s+(?:mi\s+)?(?:lista|tareas|pendientes)\s*[:\-]?\s*",
        r"(?:pon|ponme|mete|metele)\s+ahi\s*[:\-]?\s+",
        r"(?:agrega|agregar|anade|anadir|anota|anotar|apunta|apuntar|agregame|anademe|apuntame|anotame)"
        r"(?:\s+ahi)?\s*[:\-]?\s+",
    ),
    create_whole=compile_all(
        r"(?:agrega|agregar|anade|anadir|pon|mete|apunta|anota|crea)\s+(?:(?:la"
        r"|una)\s+tarea\s+)?(?P<body>.+?)"
        r"(?P<cut>\s+(?:a|al|en|a la|en la|en el)\s+(?P<target>(?:mi\s+|la\s+)?(?:lista|tareas|pendientes)"
        r"(?:\s+de\s+\S+)?|(?:el\s+)?proyecto\s+.+?))(?P<tail>(?:\s*,|\s+(?:y|para|el|este|esta|manana|hoy|"
        r"antes|hasta|en\s+\d|cada|todos|urgente|con)\b).*)?",
    ),
    # Not "del proyecto X": "sacar copias del proyecto integrador" is copies *of* it, a title.
    task_project=re.compile(
        r".*(?P<cut>(?:^|\s)(?:en|al|para)\s+(?P<project>(?:el\s+)?proyecto\s+[^,]+?))(?=\s*(?:,|$"
        r"|\by\b))"
        r"|(?P<tag>(?:^|\s)#(?P<hashtag>[a-z][\w-]*))"
    ),
    task_assignee=re.compile(
        rf"(?P<cut>[\s,]*(?:\by\s+)?(?:asigna|asignar|da|dar|pasa|pasar)(?:sela|selo|la|lo)?\s+(?:a\s+)?{_WHO})$"
        r"|(?P<at>\s@(?P<handle>[a-z][\w.-]*))"
    ),
    implicit_block=bag(
        """que como cuando donde quien cual cuales por porque es son esta estan estoy hay tengo yo mi mis
        tu tus el la los las un una eso esto esa no si ok vale gracias jaja hola buenas buenos y pero o
        tambien borra borrar elimina eliminar quita cancela marca mueve cambia pon asigna reabre deshaz
        muestra ver dime dame ignora olvida me te se le nos feliz hasta adios chao creo"""
    ),
)
