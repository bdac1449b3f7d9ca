"""English: the patterns of the rule parser (see :mod:`tasklane_agent.nlu.parse` for the order they
are tried in and :class:`tasklane_agent.nlu.parse.common.Grammar` for the groups they capture).

Patterns are written against folded text (lower case, no accents, straight apostrophes) as people
type on WhatsApp: "pls", "whats", "im", "tmrw", common misspellings of the command words.
"""

from __future__ import annotations

import re

from tasklane_agent.nlu.parse.common import Grammar, Lexicon, bag, compile_all
from tasklane_agent.nlu.parse.smalltalk import ORDINALS

# A teammate's name as a pattern: one to three words; the parser checks the casing as typed.
_WHO = r"(?P<who>@?[a-z][\w'.-]*(?:\s+[a-z][\w'.-]*){0,2})"
# A teammate, or a task by number ("add #3 to the X project" moves a task).
_WHO_OR_NUMBER = r"(?P<who>#?\d{1,3}|@?[a-z][\w'.-]*(?:\s+[a-z][\w'.-]*){0,2})"
_WHO1 = r"(?P<who>@?[a-z][\w'.-]*)"  # one word, where a verb follows the name ("ask Ben to ...")
_TASK = r"(?:task|taks|tsk|todo|to-do|to do|reminder|item|todo item)"
_DONE = r"(?:done|complete|completed|finished|finshed|closed|resolved|sorted|dealt with)"

LEXICON = Lexicon(
    lang="en",
    pronoun=re.compile(
        r"(?:it|that|this|this one|that one|that task|this task|the last one|same one|same task|"
        r"the one i just (?:added|created|made|mentioned))"
    ),
    ordinals={k: v for k, v in ORDINALS.items() if k.isascii()},
    ref_lead=re.compile(
        r"^(?:the|my|a|an|task|taks|todo|to-do|item|number|no\.?|num|about|called|named|titled|for|of|"
        r"on|with|one|ones|that says|whole)(?:\s+|$)"
    ),
    ref_trail=re.compile(
        r"(?:^|\s+)(?:task|taks|todo|to-do|item|one|deadline|due date|date|thing|please|pls|too|now)$"
        r"|\s+(?:from|off|on|in)\s+(?:my|the)\s+(?:list|tasks|to-?do list|to-?dos)$|'s$"
    ),
    question_words=bag(
        "what when where who why how which is are am was were do does did can could would will should "
        "you your i we they he she there"
    ),
    name_lead=re.compile(r"^(?:to\s+|@)"),
    self_words=frozenset({"me", "myself", "i", "mine", "my self"}),
    title_lead=re.compile(r"^(?:to|that|about|and|then|also|so|of)(?:\s+|$)"),
    title_trail=re.compile(
        r"(?:^|\s+)(?:by|on|at|due|for|in|and|to|before|until|till|from|the|of|with|please|pls|ok|"
        r"it|is|its|it's)$"
    ),
    project_lead=re.compile(r"^(?:the|my|our|a|project|proj|to|in|into|on|for|under)(?:\s+|$)|^#"),
    project_trail=re.compile(r"(?:^|\s+)(?:project|proj|team|board)$"),
    definite=re.compile(r"(?:the|my|that|this|our)\b"),
    date_links=frozenset({"to", "for", "until", "till", "due", "by", "on"}),
)

GRAMMAR = Grammar(
    lex=LEXICON,
    polite_prefix=re.compile(
        r"^(?:(?:hey|hi|hello|ok|okay|so|well|um|oh|yo|alright|also|and|btw|oops|hmm|right|cool|great"
        r"|actually|"
        r"wait|no wait|sorry|ah|then|ugh|argh|meh|damn|dang|shoot|whoops|oh no|oh well|aw|aww)"
        r"\b[\s,!.]*)*(?:(?:would you be so kind as to|would you be kind enough to|could you possibly"
        r"|would you possibly|i wonder if you could|i was wondering if you could|i'd be grateful if you could"
        r"|please|pls|plz|kindly|can you|could you|would you|will you|can u|could u|"
        r"would you mind|i want you to|i'd like you to|i need you to|go ahead and|just|quickly|now|"
        r"do me a favou?r and|be a dear and|"
        r"(?:can|could) i (?:get you to|ask you to))\b[\s,]*)*"
    ),
    polite_suffix=re.compile(
        r"[\s,]*\b(?:please|pls|plz|thanks|thank you|thx|ty|for me|thank u|if you please|if you would"
        r"|if you don'?t mind|if you can|when you can|when you get a (?:chance|minute|moment))$"
    ),
    timezone=compile_all(
        r"(?:set|change|update|switch|put|make)\s+(?:my\s+|the\s+)?(?:time\s*zone|tz)\s*(?:to|as|=|:|into)?"
        r"\s*(?P<zone>.+)",
        r"(?:my\s+|the\s+)?(?:time\s*zone|tz)\s*(?:is|:|=|should be|to)?\s*(?P<zone>.+)",
        r"(?:use|switch to)\s+(?P<zone>.+?)\s+(?:time\s*zone|time)",
    ),
    timezone_implicit=compile_all(
        r"(?:i'?m|i am|we'?re|we are)\s+(?:now\s+|currently\s+|based\s+|living\s+|staying\s+)?(?:in|at)\s+"
        r"(?P<zone>.+?)(?:\s+(?:now|today|these days|for now|at the moment|this week))?",
        r"(?:i|we)\s+(?:live|moved|have moved|just moved|relocated|am moving|'m moving|m moving)\s+(?:in|to)"
        r"\s+(?P<zone>.+?)(?:\s+now)?",
        r"(?:i'?m|i am)\s+(?:on|using)\s+(?P<zone>.+?)\s+time",
    ),
    list_projects=compile_all(
        r"(?:(?:show|list|see|view|display|get|give|check)(?:\s+me)?\s+)?(?:all\s+(?:of\s+)?)?"
        r"(?:(?:my|our|the)\s+)?projects?(?:\s+list)?",
        r"what(?:'s|s| are| is)?\s+(?:all\s+)?(?:my|our|the)\s+projects",
        r"(?:what|which)\s+projects\s+(?:do i have|have i got|am i (?:in|on|part of)|are there|do we have)",
    ),
    create_project=compile_all(
        r"(?:create|make|start|add|set up|open|begin|new|build|creat)\s+(?:(?:a|an|the|one)\s+)?(?:new\s+)?"
        r"project(?:\s*[:\-]\s*|\s+(?:called|named|titled|for|:)\s+|\s+)(?P<name>.+)",
    ),
    project_status=compile_all(
        r"how(?:'s|s| is| are)\s+(?:the\s+|my\s+|our\s+)?(?P<name>.+?)\s+(?:going|doing|coming along|"
        r"progressing|looking|getting on|shaping up|moving along)(?:\s+so far)?",
        r"how(?:'s|s| is| are)\s+(?P<name>(?:the\s+|my\s+|our\s+)?(?:project\s+.+|.+\s+project))",
        r"(?:what(?:'s|s| is)\s+the\s+)?(?:status|progress|state)(?:\s+update)?\s+(?:of|on|for"
        r"|with)\s+(?P<name>.+)",
        r"(?:give me\s+)?(?:an?\s+)?(?:update|progress report|status report|status update)\s+(?:on"
        r"|for)\s+(?P<name>.+)",
        r"where are we (?:at\s+)?(?:with|on)\s+(?P<name>.+)",
        r"(?:(?:what(?:'s|s| is)\s+the\s+)?(?:project\s+)?(?:status|progress)|how are (?:my|our|the) projects"
        r"(?:\s+(?:going|doing))?|status of (?:my|our|all) projects|(?:my|our) progress)",
        r"(?P<name>.+?)\s+(?:project\s+)?(?:status|progress)(?:\s+update|\s+report)?",
    ),
    add_member=compile_all(
        rf"(?:add|invite|include|bring|put)\s+{_WHO_OR_NUMBER}\s+(?:to|into|on|in)\s+(?P<project>.+)",
        rf"(?:add|invite)\s+{_WHO}\s+as\s+(?:a\s+)?(?:member|collaborator|teammate)"
        r"(?:\s+(?:of|to|on|in)\s+(?P<project>.+))?",
        rf"share\s+(?P<project>.+?)\s+with\s+{_WHO}",
    ),
    undo=compile_all(
        r"(?:undo|revert|reverse)\s+(?:that|it|this|last|(?:the|my)\s+(?:last\s+)?(?:one|thing|change|action|"
        r"delete|deletion|completion|rename|edit|update))"
    ),
    clear_due=compile_all(
        r"(?:remove|clear|delete|drop|take off|get rid of|unset|erase)\s+(?:the\s+)?(?:due\s+date|deadline|"
        r"date|due)\s*(?:(?:from|of|on|for)\s+(?P<ref>.+))?",
        r"(?:remove|clear|delete|drop|take)\s+(?P<ref>.+?)(?:'s)?\s+(?:due\s+date|deadline)(?:\s+off)?",
        r"(?P<ref>.+?)\s+(?:has|needs|with)\s+no\s+(?:due\s+date|deadline)",
        r"no\s+(?:due\s+date|deadline)(?:\s+(?:for|on)\s+(?P<ref>.+))?",
    ),
    rename=compile_all(
        r"(?:rename|retitle|renane)\s+(?P<ref>.*?)\s+(?:to|as|into)\s+(?P<title>.+)",
        r"(?:rename|retitle)\s+(?P<ref>it|that|this|this one|that one|#\d+|task\s+\d+)\s+(?P<title>.+)",
        r"(?:change|update|edit|set)\s+(?:the\s+)?(?:title|name|wording)\s+(?:of\s+)?(?P<ref>.*?)\s+to\s+"
        r"(?P<title>.+)",
        r"call\s+(?P<ref>it|that|this|this one|that one|#\d+)\s+(?P<title>.+?)(?:\s+instead)?",
    ),
    reopen=compile_all(
        r"(?:reopen|re-open|re open|unmark|uncomplete|unfinish|undo complete|reactivate|un-complete)"
        r"\s*(?P<ref>.*)",
        r"mark\s+(?P<ref>.+?)\s+as\s+(?:not done|undone|open|incomplete|unfinished|pending|todo|to do|"
        r"not complete|not finished|not completed)",
        rf"(?P<ref>.+?)\s+(?:is|was|'s)\s+not\s+{_DONE}(?:\s+yet)?",
        rf"(?P<ref>.+?)\s+(?:isn'?t|wasn'?t|is not|was not|not)\s+{_DONE}(?:\s+yet)?",
        r"i\s+(?:haven'?t|have not|didn'?t|did not)\s+(?:finish|finished|complete|completed|do|done)\s+"
        r"(?P<ref>.+?)(?:\s+yet)?",
    ),
    complete=compile_all(
        rf"(?:mark|set|flag|tick|check|cross)\s+(?P<ref>.+?)\s+(?:as\s+|to\s+)?{_DONE}",
        r"(?:tick|check|cross)\s+off\s+(?P<ref>.+)",
        rf"(?:mark|set)\s+(?:as\s+)?{_DONE}\s+(?P<ref>.+)",
        r"(?:tick|check|cross)\s+(?P<ref>.+?)\s+off",
        r"(?:i(?:'ve|ve| have)?\s+)?(?:just\s+|already\s+|finally\s+)?(?:finished|finshed|completed"
        r"|done with|"
        r"wrapped up|closed|knocked out|got through|did|done|sorted)\s+(?P<ref>.+)",
        r"(?:complete|finish|close|resolve)\s+(?P<ref>.+)",
        rf"(?P<ref>.+?)\s+(?:is\s+|are\s+|was\s+|'s\s+|s\s+)?(?:now\s+|already\s+|all\s+)?{_DONE}"
        r"(?:\s+(?:now|already|too|as well))?",
    ),
    delete=compile_all(
        r"(?:delete|remove|erase|scrap|trash|drop|cancel|kill|del|bin|ditch|nuke|discard|get rid of|"
        r"throw away|throw out|forget about|forget|rm|delet|dlete|remvoe)\s+(?P<ref>.+)",
    ),
    assign=compile_all(
        rf"(?:assign|reassign|asign|give|hand|hand over|pass|delegate|transfer)(?:\s+(?P<ref>.*?))?\s+"
        rf"(?:over\s+)?to\s+{_WHO}",
        rf"(?:assign|reassign|give|delegate)\s+{_WHO1}\s+(?P<ref>#\d+|task\s+\d+|the\s+.+?\s+task)",
        rf"(?:let|have)\s+{_WHO1}\s+(?:handle|take|do|own|take care of|look after)\s+(?P<ref>.+)",
    ),
    update_verb=re.compile(
        r"(?:(?P<up>prioriti[sz]e|escalate)|(?P<down>deprioriti[sz]e|downgrade)|(?P<strong>push(?:\s+back)?|"
        r"postpone|postphone|delay|reschedule|resched|bring forward|pull forward|defer|snooze)|make|"
        r"set(?!\s+up\b)|change|move|bump(?:\s+up)?|put|shift|update|edit|mark|extend|adjust)(?:\s+|$)"
    ),
    update_project=re.compile(
        r"(?:^|\s)(?:to|into|in|under)\s+(?P<project>(?:the\s+)?(?:project\s+.+|.+?\s+project))$"
    ),
    update_level=re.compile(r"(?:^|\s)(?:(?:to|as)\s+)?(?P<lvl>high|low|normal|medium|top)$"),
    update_clear=re.compile(
        r"(?:^|\s)(?:and\s+)?(?:remove|clear|drop|no|without)\s+(?:the\s+|a\s+)?(?:due\s+date|deadline)"
    ),
    update_into=re.compile(r"(?:^|\s)(?:in|into|to|under)\s+(?P<project>\S.*)$"),
    change_joiner=re.compile(r"\b(?:and|&)\b(?:\s+(?:make|set|move|change|put|push|mark)\s+it\b)?|\balso\b"),
    change_lead=re.compile(
        r"^(?:the\s+)?(?:due\s+date|deadline|date|priority|title|name)\s+(?:of|for|on)(?:\s+|$)"
    ),
    change_trail=re.compile(
        r"(?:^|\s+)(?:to|for|as|and|due|until|till|by|on|at|from|with|back|forward|out|up|over)$"
        r"|(?:'s)?\s+(?:due\s+date|deadline|date|priority)$"
    ),
    list_vocabulary=bag(
        """what whats s is are am do does did i have got has show me list see view display get give check
        tell read my the all of any anything something tasks task taks todos todo to-do to-dos items
        stuff things pending open remaining left current on in for due again there now can we our
        us that which ones one up coming outstanding agenda plate so far yet still need be doing lately
        recently whole entire to ve d ll re m t this please pls let know lemme gimme show's gonna
        doing list's every which shwo sho next
        send scheduled planned booked lets let's lined on
        jobs job chores errands kindly moment currently presently at nothing"""
    ),
    list_triggers=bag(
        "tasks task taks todos todo to-dos items list agenda plate show view see "
        "display pending outstanding due gimme shwo sho have got left next jobs chores errands"
    ),
    list_scopes=(
        (re.compile(r"\b(?:overdue|over due|late|past due|missed|behind|expired)\b"), "overdue"),
        (re.compile(rf"\b(?:{_DONE}|did i (?:do|finish|complete)|ticked off|checked off)\b"), "done"),
        (re.compile(r"\b(?:today|todays|today's|tonight|tday|tdy|2day)\b"), "today"),
        (
            re.compile(
                r"(?<!after )\b(?:tomorrow|tomorrows|tomorrow's|tmrw|tmr|tomorow|tommorow|tommorrow|2moro)\b"
            ),
            "tomorrow",
        ),
        (re.compile(r"\b(?:next week|next week's|next weeks)\b"), "next_week"),
        (re.compile(r"\b(?:this week|the week|week|weeks|weekly|next 7 days|next seven days)\b"), "week"),
        (re.compile(r"\b(?:all|everything|every task|whole list|entire list)\b"), "all"),
    ),
    list_project=re.compile(r"(?:^|\s)(?:in|for|on|from|of|under|within)\s+(?P<project>\S.*)$"),
    list_nouns_after_project=frozenset({"tasks", "task", "todos", "to-dos", "items", "taks", "jobs"}),
    create_prefix=compile_all(
        # "add a task to Website Relaunch: ...", "for website relaunch: ...", "add to my list: ..."
        rf"(?:add|create|new|put)\s+(?:(?:a|an|new)\s+)?{_TASK}\s+(?:to|in|into|for|under)\s+"
        r"(?P<project>[^:]+?)\s*:\s*",
        rf"(?:new\s+)?{_TASK}\s*[:\-\u2013\u2014]\s*",
        r"(?:add\s+)?(?:to|for|in|under)\s+(?P<project>[^:]+?)\s*:\s*",
        r"(?:create|creat|add|make|new|set up|open|save|put|start|log|jot down|write down|note)\s+"
        r"(?:(?:a|an|one|another|new|the|me|us)\s+)*"
        rf"(?:(?P<adj>urgent|important|high[\s-]priority|low[\s-]priority)\s+)?(?:new\s+)?{_TASK}s?\b"
        r"\s*(?:[:\-\u2013\u2014]|\bto\b|\bfor\b|\bcalled\b|\bnamed\b|\bthat says\b|\babout\b"
        r"|\bsaying\b)?\s*",
        rf"(?:new\s+)?{_TASK}\s*[:\-\u2013\u2014]\s*",
        # "remember me to" is how many who learnt English from Spanish or Portuguese say it.
        r"(?:remind\s+me|remind\s+us|reminde?\s+me|rmind me|don'?t\s+(?:let\s+me\s+)?forget|remember\s+me"
        r"|remember|note to self|reminder)\b(?:\s+(?:to|about|that|of)\b)?\s*[:\-]?\s*",
        r"(?:i\s+)?(?:need|have|got|must|should)\s+to\s+|(?:i\s+)?(?:gotta|must)\s+",
        rf"(?:ask|tell|get|remind)\s+{_WHO1}\s+to\s+",
        r"add\s+(?:to|on)\s+(?:my\s+)?(?:list|tasks|to-?do(?:\s+list)?)\s*[:\-]?\s*",
        r"(?:add|jot down|note down|write down)\s+",
    ),
    create_whole=compile_all(
        rf"(?:add|put|stick|throw)\s+(?:(?:a|the|new)\s+)?(?:{_TASK}\s+)?(?P<body>.+?)(?P<cut>\s+(?:to|on"
        rf"|in|into|"
        r"onto|under)\s+(?P<target>.+?))(?P<tail>(?:\s*,|\s+(?:and|by|due|on|before|until|at|for|this|next|"
        r"tomorrow|tomorow|tmrw|today|tonight|in\s+\d|every|asap|urgent|high|low)\b).*)?",
    ),
    task_project=re.compile(
        r".*(?P<cut>(?:^|\s)(?:in|into|to|for|under|on)\s+(?P<project>(?:the\s+)?(?:project\s+[^,]+?|"
        r"[^,]+?\s+project)))(?=\s*(?:,|$|\band\b))"
        r"|(?P<tag>(?:^|\s)#(?P<hashtag>[a-z][\w-]*))"
    ),
    task_assignee=re.compile(
        rf"(?P<cut>[\s,]*(?:\band\s+)?(?:assign(?:ed)?|give|delegate)\s+(?:it\s+|this\s+"
        rf"|that\s+)?to\s+{_WHO})$"
        r"|(?P<at>\s@(?P<handle>[a-z][\w.-]*))"
    ),
    implicit_block=bag(
        """what whats when where who why how which is are am was were do does did can could would will
        should shall have has had i im i'm ive i've ill i'll id i'd me my mine we our us you your u he she
        they it its it's this that there these those the a an no not dont don't nope yes yeah ok okay
        thanks thank lol haha hmm see talk bye good great nice sorry if maybe and but or so because
        also please hi hello hey done finished completed delete remove erase scrap trash kill mark
        push postpone delay reschedule rename reassign assign reopen update edit list ignore forget
        disregard undo tell happy merry"""
    ),
)
