"""Fixed interface strings in the languages Footnote serves; unknown languages fall back to English."""

from __future__ import annotations

from .languages import pick

STRINGS: dict[str, dict[str, str]] = {
    "offline_header": {
        "en": "No language model is available, so here are the most relevant quotes from the sources:",
        "de": "Es ist kein Sprachmodell verfügbar, daher hier die passendsten Zitate aus den Quellen:",
        "ru": "Языковая модель недоступна, поэтому вот наиболее подходящие цитаты из источников:",
        "es": "No hay ningún modelo de lenguaje disponible, así que estas son las citas más relevantes de las fuentes:",
        "fr": "Aucun modèle de langue n’est disponible ; voici donc les citations les plus pertinentes des sources :",
        "vi": "Hiện không có mô hình ngôn ngữ, vì vậy đây là những trích dẫn phù hợp nhất từ các nguồn:",
        "zh": "目前没有可用的语言模型，以下是来源中最相关的原文摘录：",
        "uk": "Мовна модель недоступна, тому ось найдоречніші цитати з джерел:",
        "it": "Nessun modello linguistico è disponibile, quindi ecco le citazioni più pertinenti dalle fonti:",
        "pt": "Nenhum modelo de linguagem está disponível, por isso aqui estão as citações mais relevantes das fontes:",
        "ar": "لا يتوفر نموذج لغوي، لذا إليك أكثر الاقتباسات صلة من المصادر:",
        "tr": "Kullanılabilir bir dil modeli yok, bu yüzden kaynaklardan en ilgili alıntılar şunlar:",
    },
    "unverified_header": {
        "en": "The model's answer could not be tied to the sources, so here is what they say:",
        "de": "Die Antwort des Modells ließ sich nicht mit den Quellen belegen, daher hier, was sie sagen:",
        "ru": "Ответ модели не удалось подтвердить источниками, поэтому вот что в них сказано:",
        "es": "La respuesta del modelo no pudo vincularse a las fuentes, así que esto es lo que dicen:",
        "fr": "La réponse du modèle n’a pas pu être rattachée aux sources ; voici ce qu’elles disent :",
        "vi": "Không thể đối chiếu câu trả lời của mô hình với các nguồn, vì vậy đây là nội dung của chúng:",
        "zh": "模型的回答无法与来源对应，以下是来源的原文：",
        "uk": "Відповідь моделі не вдалося підтвердити джерелами, тому ось що в них сказано:",
        "it": "La risposta del modello non è stata ricondotta alle fonti, quindi ecco cosa dicono:",
        "pt": "A resposta do modelo não pôde ser ligada às fontes, por isso eis o que elas dizem:",
        "ar": "تعذّر ربط إجابة النموذج بالمصادر، لذا إليك ما تقوله:",
        "tr": "Modelin yanıtı kaynaklara bağlanamadı, bu yüzden kaynakların söyledikleri şunlar:",
    },
    "not_covered": {
        "en": "The articles I have do not cover this question.",
        "de": "Die vorliegenden Artikel behandeln diese Frage nicht.",
        "ru": "В имеющихся статьях нет ответа на этот вопрос.",
        "es": "Los artículos de que dispongo no tratan esta pregunta.",
        "fr": "Les articles dont je dispose ne traitent pas cette question.",
        "vi": "Các bài báo hiện có không đề cập đến câu hỏi này.",
        "zh": "现有文章没有涉及这个问题。",
        "uk": "Наявні статті не відповідають на це питання.",
        "it": "Gli articoli a mia disposizione non trattano questa domanda.",
        "pt": "Os artigos de que disponho não tratam desta pergunta.",
        "ar": "المقالات المتوفرة لديّ لا تتناول هذا السؤال.",
        "tr": "Elimdeki makaleler bu soruyu kapsamıyor.",
    },
    "empty_question": {
        "en": "Please ask a question about the news articles.",
        "de": "Bitte stellen Sie eine Frage zu den Nachrichtenartikeln.",
        "ru": "Задайте, пожалуйста, вопрос о новостных статьях.",
        "es": "Haz una pregunta sobre los artículos de noticias, por favor.",
        "fr": "Posez une question sur les articles d’actualité, s’il vous plaît.",
        "vi": "Vui lòng đặt một câu hỏi về các bài báo.",
        "zh": "请就新闻文章提出一个问题。",
        "uk": "Будь ласка, поставте запитання про новинні статті.",
    },
    "unavailable": {
        "en": "The article index is not reachable right now. Please try again in a moment.",
        "de": "Der Artikelindex ist gerade nicht erreichbar. Bitte versuchen Sie es gleich noch einmal.",
        "ru": "Индекс статей сейчас недоступен. Попробуйте, пожалуйста, ещё раз через минуту.",
        "es": "El índice de artículos no está disponible ahora. Inténtalo de nuevo en un momento.",
        "fr": "L’index des articles est momentanément inaccessible. Réessayez dans un instant.",
        "vi": "Hiện không truy cập được chỉ mục bài báo. Vui lòng thử lại sau giây lát.",
        "zh": "文章索引暂时无法访问，请稍后再试。",
        "uk": "Індекс статей зараз недоступний. Спробуйте, будь ласка, ще раз за хвилину.",
    },
    "error": {
        "en": "Sorry, something went wrong while answering. Please try again.",
        "de": "Entschuldigung, beim Antworten ist etwas schiefgegangen. Bitte versuchen Sie es erneut.",
        "ru": "Извините, при ответе что-то пошло не так. Попробуйте ещё раз.",
        "es": "Lo siento, algo salió mal al responder. Inténtalo de nuevo.",
        "fr": "Désolé, une erreur s’est produite pendant la réponse. Veuillez réessayer.",
        "vi": "Xin lỗi, đã xảy ra lỗi khi trả lời. Vui lòng thử lại.",
        "zh": "抱歉，回答时出错了，请重试。",
        "uk": "Вибачте, під час відповіді щось пішло не так. Спробуйте ще раз.",
    },
    "newest_source": {
        "en": "Newest source: {when}.",
        "de": "Neueste Quelle: {when}.",
        "ru": "Самый свежий источник: {when}.",
        "es": "Fuente más reciente: {when}.",
        "fr": "Source la plus récente : {when}.",
        "vi": "Nguồn mới nhất: {when}.",
        "zh": "最新来源：{when}。",
        "uk": "Найсвіжіше джерело: {when}.",
        "it": "Fonte più recente: {when}.",
        "pt": "Fonte mais recente: {when}.",
        "ar": "أحدث مصدر: {when}.",
        "tr": "En yeni kaynak: {when}.",
    },
    "also_published": {
        "en": "also published by", "de": "auch erschienen bei", "ru": "также опубликовано",
        "es": "también publicado por", "fr": "aussi publié par", "vi": "cũng đăng trên",
        "zh": "亦见于", "uk": "також опубліковано", "it": "pubblicato anche da",
        "pt": "também publicado por", "ar": "نُشر أيضًا في", "tr": "ayrıca yayımlayan",
    },
    "sources": {
        "en": "Sources", "de": "Quellen", "ru": "Источники", "es": "Fuentes", "fr": "Sources",
        "vi": "Nguồn", "zh": "来源", "uk": "Джерела", "it": "Fonti", "pt": "Fontes",
        "ar": "المصادر", "tr": "Kaynaklar",
    },
}  # fmt: skip


def text(key: str, lang: str) -> str:
    """The string `key` in `lang` (ISO 639-1, or a tag like 'pt-BR'), else in English."""
    return pick(STRINGS[key], lang)
