"""The bot's own strings, in the language of the user's Telegram client (`language_code`).

Answers are in the question's language (the core decides); these are the bot's frame around
them. Unknown languages fall back to English; owner-only strings exist in fewer languages."""

from __future__ import annotations

from retrieval.api import pick

STRINGS: dict[str, dict[str, str]] = {
    "start": {
        "en": "Hi! I answer questions about the news articles I have read, and cite my sources.",
        "de": "Hallo! Ich beantworte Fragen zu den Nachrichtenartikeln, die ich gelesen habe, und nenne meine Quellen.",
        "ru": "Привет! Я отвечаю на вопросы по прочитанным мной новостным статьям и указываю источники.",
        "es": "¡Hola! Respondo preguntas sobre los artículos de noticias que he leído y cito mis fuentes.",
        "fr": "Bonjour ! Je réponds aux questions sur les articles d’actualité que j’ai lus, en citant mes sources.",
        "uk": "Привіт! Я відповідаю на запитання про прочитані мною новинні статті й називаю джерела.",
    },
    "help": {
        "en": "Ask in any language and I answer in yours, with numbered links to the articles.\n\n"
        "• In a private chat, just write your question.\n"
        "• In a group, mention me (@{bot}), reply to one of my answers, or use /ask question.\n"
        "• /sources lists the articles I know.\n"
        "• In any other chat, type @{bot} and a question: the cited answer comes as a card to send.\n"
        "• You can also ask by voice message, if voice is set up here.\n"
        "• Forward me a post, or use /check with a link, to see what the articles say about its claims.\n"
        "• /follow words: I tell you when new articles of that story arrive (/following, /unfollow N).\n"
        "• Group admins: /settings chooses when I answer, how long and in which language.",
        "de": "Fragen Sie in einer beliebigen Sprache – ich antworte in Ihrer, mit nummerierten Links zu den Artikeln.\n\n"
        "• Im privaten Chat schreiben Sie einfach Ihre Frage.\n"
        "• In einer Gruppe erwähnen Sie mich (@{bot}), antworten auf eine meiner Antworten oder nutzen /ask Frage.\n"
        "• /sources zeigt die Artikel, die ich kenne.\n"
        "• In jedem anderen Chat tippen Sie @{bot} und eine Frage: Die belegte Antwort kommt als Karte zum Senden.\n"
        "• Sie können auch per Sprachnachricht fragen, wenn Sprache hier eingerichtet ist.\n"
        "• Leiten Sie mir einen Beitrag weiter oder nutzen Sie /check mit einem Link: Ich zeige, was die Artikel zu seinen Behauptungen sagen.\n"
        "• /follow Stichworte: Ich melde mich, wenn neue Artikel zu dieser Geschichte kommen (/following, /unfollow N).\n"
        "• Gruppenadmins: /settings legt fest, wann, wie ausführlich und in welcher Sprache ich antworte.",
        "ru": "Спрашивайте на любом языке — я отвечу на вашем, с нумерованными ссылками на статьи.\n\n"
        "• В личном чате просто напишите вопрос.\n"
        "• В группе упомяните меня (@{bot}), ответьте на мой ответ или используйте /ask вопрос.\n"
        "• /sources — список известных мне статей.\n"
        "• В любом другом чате наберите @{bot} и вопрос: ответ с источниками придёт карточкой, которую можно отправить.\n"
        "• Можно спросить и голосовым сообщением, если это здесь настроено.\n"
        "• Перешлите мне пост или используйте /check со ссылкой — покажу, что говорят статьи о его утверждениях.\n"
        "• /follow слова: сообщу, когда появятся новые статьи по этой теме (/following, /unfollow N).\n"
        "• Админы группы: /settings — когда, насколько подробно и на каком языке я отвечаю.",
        "es": "Pregunta en cualquier idioma y responderé en el tuyo, con enlaces numerados a los artículos.\n\n"
        "• En un chat privado, escribe tu pregunta.\n"
        "• En un grupo, mencióname (@{bot}), responde a una de mis respuestas o usa /ask pregunta.\n"
        "• /sources muestra los artículos que conozco.\n"
        "• En cualquier otro chat, escribe @{bot} y una pregunta: la respuesta con fuentes llega como una tarjeta para enviar.\n"
        "• También puedes preguntar con un mensaje de voz, si la voz está configurada aquí.\n"
        "• Reenvíame una publicación o usa /check con un enlace para ver qué dicen los artículos de sus afirmaciones.\n"
        "• /follow palabras: te aviso cuando lleguen artículos nuevos de esa historia (/following, /unfollow N).\n"
        "• Administradores del grupo: /settings elige cuándo respondo, con qué extensión y en qué idioma.",
        "fr": "Posez votre question dans n’importe quelle langue : je réponds dans la vôtre, avec des liens numérotés vers les articles.\n\n"
        "• En privé, écrivez simplement votre question.\n"
        "• Dans un groupe, mentionnez-moi (@{bot}), répondez à l’une de mes réponses ou utilisez /ask question.\n"
        "• /sources liste les articles que je connais.\n"
        "• Dans n’importe quelle autre discussion, tapez @{bot} et une question : la réponse sourcée arrive sous forme de carte à envoyer.\n"
        "• Vous pouvez aussi poser votre question par message vocal, si la voix est configurée ici.\n"
        "• Transférez-moi un message, ou utilisez /check avec un lien, pour voir ce que disent les articles de ses affirmations.\n"
        "• /follow mots : je vous préviens quand de nouveaux articles de cette histoire arrivent (/following, /unfollow N).\n"
        "• Admins du groupe : /settings choisit quand je réponds, la longueur et la langue.",
        "uk": "Питайте будь-якою мовою — я відповім вашою, з нумерованими посиланнями на статті.\n\n"
        "• В особистому чаті просто напишіть запитання.\n"
        "• У групі згадайте мене (@{bot}), дайте відповідь на мою відповідь або скористайтеся /ask запитання.\n"
        "• /sources — список статей, які я знаю.\n"
        "• У будь-якому іншому чаті наберіть @{bot} і запитання: відповідь із джерелами прийде карткою, яку можна надіслати.\n"
        "• Можна запитати й голосовим повідомленням, якщо це тут налаштовано.\n"
        "• Перешліть мені допис або скористайтеся /check із посиланням — покажу, що кажуть статті про його твердження.\n"
        "• /follow слова: повідомлю, коли з’являться нові статті на цю тему (/following, /unfollow N).\n"
        "• Адміни групи: /settings — коли, наскільки докладно й якою мовою я відповідаю.",
    },
    "owner_help": {
        "en": "Owner commands: /stats, /ingest URL (or send a file), /forget ARTICLE_ID, /reindex, "
        "/source @channel, /shelf, /allow ID…, /deny ID…",
        "de": "Befehle für Betreiber: /stats, /ingest URL (oder eine Datei senden), /forget ARTIKEL_ID, "
        "/reindex, /source @kanal, /shelf, /allow ID…, /deny ID…",
    },
    "ask_usage": {
        "en": "Write your question after the command, e.g. /ask What happened in Berlin?",
        "de": "Schreiben Sie Ihre Frage hinter den Befehl, z. B. /ask Was ist in Berlin passiert?",
        "ru": "Напишите вопрос после команды, например: /ask Что произошло в Берлине?",
        "es": "Escribe tu pregunta después del comando, p. ej. /ask ¿Qué pasó en Berlín?",
        "fr": "Écrivez votre question après la commande, p. ex. /ask Que s’est-il passé à Berlin ?",
        "uk": "Напишіть запитання після команди, наприклад: /ask Що сталося в Берліні?",
    },
    "rate_limited": {
        "en": "You are asking faster than I can keep up. Please wait a minute, then ask again.",
        "de": "Sie fragen schneller, als ich antworten kann. Bitte warten Sie eine Minute und fragen Sie dann erneut.",
        "ru": "Вы задаёте вопросы быстрее, чем я успеваю отвечать. Подождите минуту и спросите снова.",
        "es": "Preguntas más rápido de lo que puedo responder. Espera un minuto y vuelve a preguntar.",
        "fr": "Vous posez des questions plus vite que je ne peux répondre. Attendez une minute, puis réessayez.",
        "uk": "Ви питаєте швидше, ніж я встигаю відповідати. Зачекайте хвилину й спитайте знову.",
    },
    "error": {
        "en": "Sorry, something went wrong while answering. Please try again in a moment.",
        "de": "Entschuldigung, beim Antworten ist etwas schiefgegangen. Bitte versuchen Sie es gleich noch einmal.",
        "ru": "Извините, при ответе что-то пошло не так. Попробуйте ещё раз чуть позже.",
        "es": "Lo siento, algo salió mal al responder. Inténtalo de nuevo en un momento.",
        "fr": "Désolé, un problème est survenu pendant la réponse. Réessayez dans un instant.",
        "uk": "Вибачте, під час відповіді щось пішло не так. Спробуйте ще раз трохи згодом.",
    },
    "busy": {
        "en": "The article index is not reachable right now. Please try again in a moment.",
        "de": "Der Artikelindex ist gerade nicht erreichbar. Bitte versuchen Sie es gleich noch einmal.",
        "ru": "Индекс статей сейчас недоступен. Попробуйте ещё раз чуть позже.",
        "es": "El índice de artículos no está disponible ahora. Inténtalo de nuevo en un momento.",
        "fr": "L’index des articles est momentanément inaccessible. Réessayez dans un instant.",
        "uk": "Індекс статей зараз недоступний. Спробуйте ще раз трохи згодом.",
    },
    "not_owner": {
        "en": "Only the bot's owners can use this command.",
        "de": "Diesen Befehl können nur die Betreiber des Bots verwenden.",
        "ru": "Эта команда доступна только владельцам бота.",
        "es": "Solo los propietarios del bot pueden usar este comando.",
        "fr": "Seuls les propriétaires du bot peuvent utiliser cette commande.",
        "uk": "Ця команда доступна лише власникам бота.",
    },
    "inline_hint": {
        "en": "Type a question about the news",
        "de": "Stellen Sie eine Frage zu den Nachrichten",
        "ru": "Задайте вопрос о новостях",
        "es": "Escribe una pregunta sobre las noticias",
        "fr": "Posez une question sur l’actualité",
        "uk": "Поставте запитання про новини",
    },
    "inline_answer": {
        "en": "Answer with sources",
        "de": "Antwort mit Quellen",
        "ru": "Ответ с источниками",
        "es": "Respuesta con fuentes",
        "fr": "Réponse avec sources",
        "uk": "Відповідь із джерелами",
    },
    "inline_uncertain": {
        "en": "Closest passages (not confirmed)",
        "de": "Nächste Textstellen (nicht bestätigt)",
        "ru": "Ближайшие фрагменты (не подтверждено)",
        "es": "Pasajes más cercanos (sin confirmar)",
        "fr": "Passages les plus proches (non confirmé)",
        "uk": "Найближчі фрагменти (не підтверджено)",
    },
    "inline_not_covered": {
        "en": "Not in the articles",
        "de": "Nicht in den Artikeln",
        "ru": "В статьях этого нет",
        "es": "No está en los artículos",
        "fr": "Pas dans les articles",
        "uk": "У статтях цього немає",
    },
    "inline_writing": {
        "en": "✍️ A fuller answer is on its way…",
        "de": "✍️ Eine ausführlichere Antwort folgt…",
        "ru": "✍️ Более полный ответ уже в пути…",
        "es": "✍️ Una respuesta más completa está en camino…",
        "fr": "✍️ Une réponse plus complète arrive…",
        "uk": "✍️ Повніша відповідь уже в дорозі…",
    },
    "inline_open": {
        "en": "Ask me more",
        "de": "Mehr fragen",
        "ru": "Спросить ещё",
        "es": "Preguntar más",
        "fr": "En demander plus",
        "uk": "Запитати ще",
    },
    "voice_off": {
        "en": "Voice questions are not set up on this bot: please type your question.",
        "de": "Sprachfragen sind bei diesem Bot nicht eingerichtet: Bitte tippen Sie Ihre Frage.",
        "ru": "Голосовые вопросы у этого бота не настроены: пожалуйста, напишите вопрос текстом.",
        "es": "Este bot no tiene configuradas las preguntas por voz: escribe tu pregunta, por favor.",
        "fr": "Les questions vocales ne sont pas configurées sur ce bot : écrivez votre question.",
        "uk": "Голосові запитання в цього бота не налаштовані: будь ласка, напишіть запитання.",
    },
    "voice_too_long": {
        "en": "That recording is too long for me: at most {seconds} seconds and {mb} MB. Please ask in a shorter one, or type it.",
        "de": "Die Aufnahme ist mir zu lang: höchstens {seconds} Sekunden und {mb} MB. Bitte fragen Sie kürzer oder tippen Sie.",
        "ru": "Запись слишком длинная: не больше {seconds} секунд и {mb} МБ. Спросите короче или напишите текстом.",
        "es": "La grabación es demasiado larga: como máximo {seconds} segundos y {mb} MB. Pregunta más breve o escríbelo.",
        "fr": "L’enregistrement est trop long : au plus {seconds} secondes et {mb} Mo. Posez-la plus brièvement ou écrivez-la.",
        "uk": "Запис задовгий: не більше {seconds} секунд і {mb} МБ. Запитайте коротше або напишіть текстом.",
    },
    "voice_failed": {
        "en": "I could not transcribe that recording just now. Please try again shortly, or type your question.",
        "de": "Ich konnte die Aufnahme gerade nicht verschriftlichen. Bitte versuchen Sie es gleich noch einmal oder tippen Sie Ihre Frage.",
        "ru": "Сейчас не удалось распознать запись. Попробуйте чуть позже или напишите вопрос.",
        "es": "Ahora mismo no pude transcribir la grabación. Inténtalo de nuevo en un momento o escribe tu pregunta.",
        "fr": "Je n’ai pas pu transcrire l’enregistrement pour l’instant. Réessayez bientôt ou écrivez votre question.",
        "uk": "Зараз не вдалося розпізнати запис. Спробуйте трохи згодом або напишіть запитання.",
    },
    "voice_empty": {
        "en": "I heard no words in that recording.",
        "de": "In der Aufnahme habe ich keine Worte gehört.",
        "ru": "В этой записи я не расслышал слов.",
        "es": "No oí palabras en esa grabación.",
        "fr": "Je n’ai entendu aucun mot dans cet enregistrement.",
        "uk": "У цьому записі я не почув слів.",
    },
    "check_usage": {
        "en": "Send /check with a link or a text, or reply /check to the message to check. In a private chat, forwarding a post to me checks it too.",
        "de": "Senden Sie /check mit einem Link oder Text, oder antworten Sie mit /check auf die zu prüfende Nachricht. Im privaten Chat prüfe ich auch weitergeleitete Beiträge.",
        "ru": "Отправьте /check со ссылкой или текстом или ответьте /check на сообщение, которое нужно проверить. В личном чате можно просто переслать мне пост.",
        "es": "Envía /check con un enlace o un texto, o responde /check al mensaje que quieras comprobar. En un chat privado, reenviarme una publicación también la comprueba.",
        "fr": "Envoyez /check avec un lien ou un texte, ou répondez /check au message à vérifier. En privé, me transférer un message le vérifie aussi.",
        "uk": "Надішліть /check із посиланням або текстом чи відповідайте /check на повідомлення, яке треба перевірити. В особистому чаті можна просто переслати мені допис.",
    },
    "check_failed": {
        "en": "I could not check that: {reason}",
        "de": "Das konnte ich nicht prüfen: {reason}",
        "ru": "Не удалось проверить: {reason}",
        "es": "No pude comprobarlo: {reason}",
        "fr": "Je n’ai pas pu vérifier cela : {reason}",
        "uk": "Не вдалося перевірити: {reason}",
    },
    "follow_usage": {
        "en": "Follow a story: /follow Xiaomi 17 launch. /following lists what this chat follows, /unfollow N stops one.",
        "de": "Einer Geschichte folgen: /follow Xiaomi 17 Marktstart. /following zeigt, was dieser Chat verfolgt, /unfollow N beendet eine.",
        "ru": "Следить за темой: /follow запуск Xiaomi 17. /following — за чем следит чат, /unfollow N — перестать.",
        "es": "Seguir una historia: /follow lanzamiento del Xiaomi 17. /following muestra lo que sigue este chat, /unfollow N deja una.",
        "fr": "Suivre une histoire : /follow lancement du Xiaomi 17. /following liste ce que suit cette discussion, /unfollow N en arrête une.",
        "uk": "Стежити за темою: /follow запуск Xiaomi 17. /following — за чим стежить чат, /unfollow N — припинити.",
    },
    "follow_added": {
        "en": "Following “{words}”: I will tell this chat when new articles about it arrive.",
        "de": "Ich folge „{words}“: Sobald neue Artikel dazu kommen, sage ich hier Bescheid.",
        "ru": "Слежу за «{words}»: сообщу в этот чат, когда появятся новые статьи.",
        "es": "Sigo «{words}»: avisaré en este chat cuando lleguen artículos nuevos.",
        "fr": "Je suis « {words} » : je préviendrai ici dès que de nouveaux articles arriveront.",
        "uk": "Стежу за «{words}»: повідомлю в цей чат, коли з’являться нові статті.",
    },
    "follow_too_many": {
        "en": "This chat already follows 20 stories: /unfollow one first.",
        "de": "Dieser Chat verfolgt schon 20 Geschichten: Beenden Sie zuerst eine mit /unfollow.",
        "ru": "Этот чат уже следит за 20 темами: сначала уберите одну через /unfollow.",
        "es": "Este chat ya sigue 20 historias: deja una primero con /unfollow.",
        "fr": "Cette discussion suit déjà 20 histoires : arrêtez-en d’abord une avec /unfollow.",
        "uk": "Цей чат уже стежить за 20 темами: спершу приберіть одну через /unfollow.",
    },
    "follow_none": {
        "en": "This chat follows no story yet: /follow words.",
        "de": "Dieser Chat verfolgt noch keine Geschichte: /follow Stichworte.",
        "ru": "Этот чат пока ни за чем не следит: /follow слова.",
        "es": "Este chat aún no sigue ninguna historia: /follow palabras.",
        "fr": "Cette discussion ne suit encore aucune histoire : /follow mots.",
        "uk": "Цей чат поки ні за чим не стежить: /follow слова.",
    },
    "following": {
        "en": "Stories this chat follows (/unfollow N stops one):",
        "de": "Geschichten, denen dieser Chat folgt (/unfollow N beendet eine):",
        "ru": "Темы, за которыми следит чат (/unfollow N — перестать):",
        "es": "Historias que sigue este chat (/unfollow N deja una):",
        "fr": "Histoires suivies par cette discussion (/unfollow N en arrête une) :",
        "uk": "Теми, за якими стежить чат (/unfollow N — припинити):",
    },
    "unfollowed": {
        "en": "No longer following “{words}”.",
        "de": "„{words}“ wird nicht mehr verfolgt.",
        "ru": "Больше не слежу за «{words}».",
        "es": "Ya no sigo «{words}».",
        "fr": "Je ne suis plus « {words} ».",
        "uk": "Більше не стежу за «{words}».",
    },
    "follow_alert": {
        "en": "News of “{words}”:",
        "de": "Neues zu „{words}“:",
        "ru": "Новое по теме «{words}»:",
        "es": "Novedades de «{words}»:",
        "fr": "Du nouveau sur « {words} » :",
        "uk": "Нове за темою «{words}»:",
    },
    "follow_more": {
        "en": "…and {n} more articles of the stories this chat follows today (the day's limit of alerts is reached): /digest lists them.",
        "de": "…und {n} weitere Artikel zu den verfolgten Geschichten heute (das Tageslimit der Hinweise ist erreicht): /digest zeigt sie.",
        "ru": "…и ещё {n} статей по темам этого чата за сегодня (дневной лимит уведомлений исчерпан): /digest покажет их.",
        "es": "…y {n} artículos más de las historias que sigue este chat hoy (se alcanzó el límite diario de avisos): /digest los muestra.",
        "fr": "…et {n} autres articles des histoires suivies aujourd’hui (la limite quotidienne d’alertes est atteinte) : /digest les liste.",
        "uk": "…і ще {n} статей за темами цього чату сьогодні (денний ліміт сповіщень вичерпано): /digest покаже їх.",
    },
    "shelves_here": {
        "en": "{chat} answers from these shelves of articles: {shelves}.",
        "de": "{chat} antwortet aus diesen Artikelregalen: {shelves}.",
        "ru": "{chat} отвечает по этим полкам статей: {shelves}.",
        "es": "{chat} responde con estos estantes de artículos: {shelves}.",
        "fr": "{chat} répond à partir de ces rayons d’articles : {shelves}.",
        "uk": "{chat} відповідає з цих полиць статей: {shelves}.",
    },
    "shelves_default": {
        "en": "(The default: the public shelf, and a source channel's own shelf in its discussion group. The bot's owners can change it.)",
        "de": "(Die Voreinstellung: das öffentliche Regal und in der Diskussionsgruppe eines Quellkanals dessen eigenes. Die Betreiber des Bots können das ändern.)",
        "ru": "(По умолчанию: общая полка, а в группе обсуждения канала-источника ещё и его собственная. Владельцы бота могут это изменить.)",
        "es": "(Lo predeterminado: el estante público y, en el grupo de debate de un canal fuente, el de ese canal. Los dueños del bot pueden cambiarlo.)",
        "fr": "(Par défaut : le rayon public et, dans le groupe de discussion d’un canal source, celui de ce canal. Les propriétaires du bot peuvent le changer.)",
        "uk": "(Типово: загальна полиця, а в групі обговорення каналу-джерела ще й його власна. Власники бота можуть це змінити.)",
    },
    "not_admin": {
        "en": "Only this group's admins can change my settings here.",
        "de": "Nur die Admins dieser Gruppe können meine Einstellungen hier ändern.",
        "ru": "Менять мои настройки здесь могут только админы группы.",
        "es": "Solo los administradores de este grupo pueden cambiar mi configuración aquí.",
        "fr": "Seuls les admins de ce groupe peuvent modifier mes réglages ici.",
        "uk": "Змінювати мої налаштування тут можуть лише адміни групи.",
    },
    "groups_only": {
        "en": "Use /settings in a group; in private chats I always answer every message.",
        "de": "Verwenden Sie /settings in einer Gruppe; im privaten Chat beantworte ich jede Nachricht.",
        "ru": "Используйте /settings в группе; в личном чате я отвечаю на каждое сообщение.",
    },
    "private_only": {
        "en": "Please use this command in a private chat with me.",
        "de": "Bitte verwenden Sie diesen Befehl im privaten Chat mit mir.",
        "ru": "Пожалуйста, используйте эту команду в личном чате со мной.",
    },
    "thanks": {
        "en": "Thanks for the feedback!",
        "de": "Danke für die Rückmeldung!",
        "ru": "Спасибо за отзыв!",
        "es": "¡Gracias por tu opinión!",
        "fr": "Merci pour votre retour !",
        "uk": "Дякую за відгук!",
    },
    "expired": {
        "en": "This button has expired.",
        "de": "Diese Schaltfläche ist abgelaufen.",
        "ru": "Эта кнопка устарела.",
    },
    "helpful": {
        "en": "👍 Helpful",
        "de": "👍 Hilfreich",
        "ru": "👍 Полезно",
        "es": "👍 Útil",
        "fr": "👍 Utile",
        "uk": "👍 Корисно",
    },
    "not_helpful": {
        "en": "👎 Not helpful",
        "de": "👎 Nicht hilfreich",
        "ru": "👎 Бесполезно",
        "es": "👎 No útil",
        "fr": "👎 Pas utile",
        "uk": "👎 Некорисно",
    },
    "sources_empty": {
        "en": "I have no articles yet.",
        "de": "Ich habe noch keine Artikel.",
        "ru": "У меня пока нет статей.",
        "es": "Todavía no tengo artículos.",
        "fr": "Je n’ai encore aucun article.",
        "uk": "У мене ще немає статей.",
    },
    "sources_page": {
        "en": "Articles {first}–{last} of {total}",
        "de": "Artikel {first}–{last} von {total}",
        "ru": "Статьи {first}–{last} из {total}",
        "es": "Artículos {first}–{last} de {total}",
        "fr": "Articles {first}–{last} sur {total}",
        "uk": "Статті {first}–{last} з {total}",
    },
    "settings_title": {
        "en": "Settings for this group. Answer: {mode}. Length: {length}. Language: {language}.",
        "de": "Einstellungen dieser Gruppe. Antworten: {mode}. Länge: {length}. Sprache: {language}.",
        "ru": "Настройки группы. Отвечать: {mode}. Длина: {length}. Язык: {language}.",
    },
    "mode_mention": {"en": "when mentioned", "de": "wenn erwähnt", "ru": "при упоминании"},
    "mode_all": {"en": "every question", "de": "jede Frage", "ru": "на каждый вопрос"},
    "length_short": {"en": "short", "de": "kurz", "ru": "кратко"},
    "length_normal": {"en": "normal", "de": "normal", "ru": "обычно"},
    "length_long": {"en": "long", "de": "ausführlich", "ru": "подробно"},
    "language_auto": {"en": "the question's", "de": "die der Frage", "ru": "как в вопросе"},
    "ingest_started": {
        "en": "Reading {name}…",
        "de": "Lese {name} …",
        "ru": "Читаю {name}…",
    },
    "ingest_progress": {
        "en": "Reading {name}: {phase} {done}/{total}",
        "de": "Lese {name}: {phase} {done}/{total}",
        "ru": "Читаю {name}: {phase} {done}/{total}",
    },
    "ingest_done": {
        "en": "{name}: {added} added, {updated} updated, {unchanged} unchanged, {failed} failed ({chunks} passages).",
        "de": "{name}: {added} neu, {updated} aktualisiert, {unchanged} unverändert, {failed} fehlgeschlagen ({chunks} Passagen).",
        "ru": "{name}: добавлено {added}, обновлено {updated}, без изменений {unchanged}, ошибок {failed} ({chunks} фрагментов).",
    },
    "ingest_copies": {
        "en": "{copies} merged as copies of stories already stored (shown as “also published by”).",
        "de": "{copies} als Kopien bereits gespeicherter Meldungen zusammengeführt (als „auch erschienen bei“ gezeigt).",
        "ru": "{copies} объединено как копии уже сохранённых материалов (показаны как «также опубликовано»).",
    },
    "ingest_paused": {
        "en": "{name}: stopped for a restart after {added} added and {updated} updated; the other {unfinished} follow when I am back.",
        "de": "{name}: für einen Neustart angehalten nach {added} neuen und {updated} aktualisierten; die übrigen {unfinished} folgen danach.",
        "ru": "{name}: остановлено для перезапуска после {added} добавленных и {updated} обновлённых; остальные {unfinished} загружу после него.",
    },
    "ingest_busy": {
        "en": "Another ingest is running; I will start this one when it is done.",
        "de": "Es läuft bereits ein Import; dieser startet danach.",
        "ru": "Уже идёт загрузка; эта начнётся после неё.",
    },
    "bad_file": {
        "en": "I can read txt, md, html, json, jsonl and pdf files up to {mb} MB.",
        "de": "Ich kann txt-, md-, html-, json-, jsonl- und pdf-Dateien bis {mb} MB lesen.",
        "ru": "Я читаю файлы txt, md, html, json, jsonl и pdf размером до {mb} МБ.",
    },
    "owner_only_files": {
        "en": "Only the bot's owners can add articles. Ask me a question instead!",
        "de": "Nur die Betreiber des Bots können Artikel hinzufügen. Stellen Sie mir stattdessen eine Frage!",
        "ru": "Добавлять статьи могут только владельцы бота. Лучше задайте мне вопрос!",
    },
    "source_gone": {
        "en": "That source is no longer in my articles.",
        "de": "Diese Quelle ist nicht mehr unter meinen Artikeln.",
        "ru": "Этого источника больше нет среди моих статей.",
        "es": "Esa fuente ya no está entre mis artículos.",
        "fr": "Cette source ne fait plus partie de mes articles.",
        "uk": "Цього джерела більше немає серед моїх статей.",
    },
    "source_link_invalid": {
        "en": "I cannot open that link: it was not made by me, or it is from before my links were signed. Open the citation from its answer again.",
        "de": "Diesen Link kann ich nicht öffnen: Er stammt nicht von mir oder ist älter als meine signierten Links. Öffnen Sie die Quelle noch einmal aus ihrer Antwort.",
        "ru": "Не могу открыть эту ссылку: её сделал не я, или она старше моих подписанных ссылок. Откройте источник ещё раз из ответа.",
        "es": "No puedo abrir ese enlace: no lo hice yo o es anterior a mis enlaces firmados. Abre de nuevo la fuente desde su respuesta.",
        "fr": "Je ne peux pas ouvrir ce lien : il ne vient pas de moi, ou il date d’avant mes liens signés. Rouvrez la source depuis sa réponse.",
        "uk": "Не можу відкрити це посилання: його зробив не я, або воно старше за мої підписані посилання. Відкрийте джерело ще раз із відповіді.",
    },
    "feed_usage": {
        "en": "Usage: /feed add URL [MINUTES] [ignore-robots] [shelf=NAME] · /feed remove ID · /feeds lists them.",
        "de": "So geht’s: /feed add URL [MINUTEN] [ignore-robots] [shelf=NAME] · /feed remove ID · /feeds zeigt alle.",
        "ru": "Так: /feed add URL [МИНУТЫ] [ignore-robots] [shelf=NAME] · /feed remove ID · /feeds — список.",
    },
    "feed_added": {
        "en": "Feed {id} added: {url} ({kind}), checked every {every} min. The first poll starts now.",
        "de": "Feed {id} hinzugefügt: {url} ({kind}), Abruf alle {every} Min. Der erste Abruf beginnt jetzt.",
        "ru": "Лента {id} добавлена: {url} ({kind}), проверка каждые {every} мин. Первый опрос начинается.",
    },
    "feed_exists": {
        "en": "Feed {id} is already there: {url}",
        "de": "Feed {id} gibt es schon: {url}",
        "ru": "Лента {id} уже есть: {url}",
    },
    "feed_removed": {
        "en": "Feed {id} removed; its articles stay (/forget removes one).",
        "de": "Feed {id} entfernt; seine Artikel bleiben (/forget entfernt einen).",
        "ru": "Лента {id} удалена; её статьи остаются (/forget удаляет статью).",
    },
    "feed_unknown": {
        "en": "There is no feed {id}; /feeds lists them.",
        "de": "Es gibt keinen Feed {id}; /feeds zeigt alle.",
        "ru": "Ленты {id} нет; /feeds — список.",
    },
    "feeds_none": {
        "en": "No feeds yet: /feed add URL",
        "de": "Noch keine Feeds: /feed add URL",
        "ru": "Лент пока нет: /feed add URL",
    },
    "feed_failing": {
        "en": "Feed {id} keeps failing ({errors} times in a row): {error}\n{url}\nI keep trying, less often; /feeds shows its state.",
        "de": "Feed {id} schlägt wiederholt fehl ({errors}-mal in Folge): {error}\n{url}\nIch versuche es weiter, seltener; /feeds zeigt den Stand.",
        "ru": "Лента {id} не читается ({errors} раза подряд): {error}\n{url}\nЯ продолжаю пробовать, реже; /feeds показывает состояние.",
    },
}


def t(key: str, lang: str | None, **values: object) -> str:
    """The string in the user's language (or English), with `values` filled in."""
    template = pick(STRINGS[key], lang)
    return template.format(**values) if values else template
