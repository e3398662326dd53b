"""The demo event: the e-Government workshop held in Baku on 25-26 July 2023.

Event details follow the hub's public event page. The slide texts are short demo
summaries written for this project (each slide says so), not the speakers' own decks.
The programme follows the page's account of the two days (opening ceremony, visits to the
Cyber Security Center and the ASAN Service Center, the keynote on the 2022 E-Government
Survey, interactive sessions); its session times and rooms are the demo's own, and experts
the page does not name are listed by organisation only.
"""

EVENT = {
    "slug": "e-government-baku-2023",
    "title": "e-Government Development in Azerbaijan: Challenges, Partnership and Prospects",
    "start_date": "2023-07-25",
    "end_date": "2023-07-26",
    "city": "Baku",
    "country": "Azerbaijan",
    "venue": "Baku",
    "organisers": (
        "Innovation and Digital Development Agency under the Ministry of Digital Development "
        "and Transport of the Republic of Azerbaijan; Astana Civil Service Hub (ACSH); "
        "United Nations Development Programme (UNDP) in Kazakhstan"
    ),
    "tags": ["e-Government", "digital transformation", "public service delivery", "partnership"],
    "timezone": "Asia/Baku",
    "description": (
        "ACSH and the Government of Azerbaijan jointly held a two-day workshop on successful "
        "cases and global trends in e-Government development. More than 50 civil servants and "
        "practitioners from Azerbaijan, Estonia, the Republic of Korea and Bosnia and "
        "Herzegovina, along with experts from UN DESA, the ITU, the OECD and the World Bank, "
        "exchanged best practices in digital government development.\n\n"
        "The opening ceremony featured speeches by Ms. Inara Valiyeva (Innovation and Digital "
        "Development Agency), Mr. Alikhan Baimenov (Astana Civil Service Hub), Mr. Vincenzo "
        "Aguaro (UN DESA) and Ms. Natalia Mochu (ITU). On the first day participants visited "
        "the Azerbaijani Cyber Security Center and the ASAN Service Center. On the second day "
        "the keynote presented the main findings of the 2022 E-Government Survey, followed by "
        "case studies of digital government development from around the world."
    ),
}

NOTE = "Demo slide written for Workshop Archive; not the speaker's own presentation."

PRESENTATIONS = [
    {
        "file": "un-egov-survey-2022-findings.pdf",
        "title": "The 2022 UN E-Government Survey: main findings",
        "speakers": "Vincenzo Aguaro",
        "organisation": "UN DESA",
        "language": "en",
        "slides": [
            (
                "The 2022 UN E-Government Survey",
                "Main findings and global trends\nVincenzo Aguaro, Digital Government Branch, UN DESA",
            ),
            (
                "Global trends",
                "The E-Government Development Index (EGDI) keeps rising in every region.\nMore countries offer online services for business registration and social protection.",
            ),
            (
                "The digital divide",
                "The digital divide persists between and within countries.\nLeaving no one behind means designing services with the most vulnerable groups.",
            ),
            (
                "Regional picture",
                "Countries of Eastern Europe and Central Asia moved up in the rankings.\nAzerbaijan improved its online services and telecommunication infrastructure.",
            ),
            (
                "Recommendations",
                "Invest in digital skills, data governance and cybersecurity.\nMeasure user satisfaction and citizen trust in e-Government services.",
            ),
        ],
    },
    {
        "file": "cooperation-for-digital-government.pdf",
        "title": "Cooperation and exchange of best practices for digital government",
        "speakers": "Alikhan Baimenov",
        "organisation": "Astana Civil Service Hub",
        "language": "en",
        "slides": [
            (
                "Cooperation for digital government",
                "Alikhan Baimenov, Chairman of the Steering Committee, ACSH",
            ),
            (
                "Why cooperate",
                "New digital tools and the data revolution can increase efficiency, transparency and accountability.",
            ),
            (
                "A proper legal framework",
                "e-Government needs a legal framework that addresses the digital divide\nand safeguards personal information.",
            ),
            (
                "Citizens first",
                "Citizens' rights and freedoms should be placed at the forefront of digital transformation.",
            ),
        ],
    },
    {
        "file": "asan-xidmet-tecrubesi.pdf",
        "title": "Elektron hökumətin inkişafı: ASAN xidmət təcrübəsi",
        "speakers": "Inara Valiyeva",
        "organisation": "Innovation and Digital Development Agency",
        "language": "az",
        "slides": [
            (
                "Elektron hökumətin inkişafı",
                "ASAN xidmət təcrübəsi\nİnnovasiya və Rəqəmsal İnkişaf Agentliyi",
            ),
            (
                "ASAN xidmət mərkəzləri",
                "Vətəndaşlara dövlət xidmətləri bir pəncərədən göstərilir.\nXidmətlər şəffaf, sürətli və əlçatandır.",
            ),
            (
                "Rəqəmsal hökumət",
                "Hökumət xidmətlərinin elektronlaşdırılması davam edir.\nKibertəhlükəsizlik mərkəzi məlumatların qorunmasını təmin edir.",
            ),
            (
                "Tərəfdaşlıq",
                "Beynəlxalq təşkilatlarla əməkdaşlıq təcrübə mübadiləsini gücləndirir.",
            ),
        ],
    },
    {
        "file": "elektronnoe-pravitelstvo-itu.pdf",
        "title": "Электронное правительство и цифровая инклюзия",
        "speakers": "Natalia Mochu",
        "organisation": "International Telecommunication Union",
        "language": "ru",
        "slides": [
            (
                "Электронное правительство и цифровая инклюзия",
                "Наталья Мочу, Региональный директор МСЭ",
            ),
            (
                "Цифровой разрыв",
                "Цифровой разрыв сохраняется между городом и селом.\nДоступ к широкополосной связи остаётся условием развития.",
            ),
            (
                "Роль правительства",
                "Правительства создают условия для цифровых услуг\nи защищают персональные данные граждан.",
            ),
            (
                "Сотрудничество",
                "Региональное сотрудничество ускоряет цифровую трансформацию\nгосударственного управления.",
            ),
        ],
    },
]

# Photos: `taken` is the camera's clock (EXIF DateTimeOriginal); `offset` its
# OffsetTimeOriginal when the camera wrote one. The phone's clock ran an hour behind: the
# demo corrects it (CAMERA_OFFSETS), which moves its photo into the panel.
PHOTOS = [
    {
        "file": "opening-ceremony.jpg",
        "title": "Opening ceremony of the workshop",
        "taken": "2023:07:25 09:40:00",
        "offset": "+04:00",
    },
    {
        "file": "asan-service-center-visit.jpg",
        "title": "Participants visit the ASAN Service Center",
        "taken": "2023:07:25 15:10:00",
    },
    {
        "file": "keynote-egov-survey.jpg",
        "title": "Keynote on the 2022 E-Government Survey",
        "taken": "2023:07:26 10:05:00",
        "offset": "+04:00",
    },
    {
        "file": "panel-discussion.jpg",
        "title": "Panel on digital inclusion and citizen services",
        "taken": "2023:07:26 10:20:00",
        "camera": ("Demo Phone", "X1", "PH-0042"),
    },
    {
        "file": "group-photo.jpg",
        "title": "Group photo of the participants",
        "taken": "2023:07:26 17:30:00",
    },
]

DEMO_CAMERA = ("Workshop Archive", "demo generator", "")
CAMERA_OFFSETS = [(("Demo Phone", "X1", "PH-0042"), "+1:00")]

# The programme, in the event.toml shape (`archive.programme.tomlformat`); `file` names
# a deck above.
PROGRAMME = {
    "timezone": "Asia/Baku",
    "sessions": [
        {
            "title": "Opening ceremony",
            "start": "2023-07-25T09:30",
            "end": "2023-07-25T10:30",
            "room": "Conference hall",
            "chairs": ["Alikhan Baimenov"],
            "tags": ["opening"],
            "talks": [
                {
                    "title": "Welcoming remarks",
                    "speakers": ["Inara Valiyeva (Innovation and Digital Development Agency)"],
                    "start": "09:30",
                },
                {
                    "title": "Cooperation and exchange of best practices for digital government",
                    "speakers": ["Alikhan Baimenov (Astana Civil Service Hub)"],
                    "start": "09:40",
                    "file": "cooperation-for-digital-government.pdf",
                },
                {
                    "title": "Opening remarks",
                    "speakers": ["Vincenzo Aguaro (UN DESA)", "Natalia Mochu (ITU)"],
                    "start": "10:00",
                },
            ],
        },
        {
            "title": "e-Government in Azerbaijan: achievements, plans and challenges",
            "start": "2023-07-25T11:00",
            "end": "2023-07-25T12:30",
            "room": "Conference hall",
            "tags": ["Azerbaijan", "public service delivery"],
            "talks": [
                {
                    "title": "Elektron hökumətin inkişafı: ASAN xidmət təcrübəsi",
                    "speakers": ["Inara Valiyeva (Innovation and Digital Development Agency)"],
                    "start": "11:00",
                    "file": "asan-xidmet-tecrubesi.pdf",
                },
                {
                    "title": "Opportunities for collaboration among countries and organisations",
                    "start": "11:45",
                },
            ],
        },
        {
            "title": "Site visits: Azerbaijani Cyber Security Center and ASAN Service Center",
            "start": "2023-07-25T14:00",
            "end": "2023-07-25T17:30",
            "room": "Baku",
            "tags": ["site visit"],
        },
        {
            "title": "Keynote: the 2022 UN E-Government Survey",
            "start": "2023-07-26T09:30",
            "end": "2023-07-26T10:45",
            "room": "Conference hall",
            "tags": ["keynote"],
            "talks": [
                {
                    "title": "The 2022 UN E-Government Survey: main findings",
                    "speakers": ["Vincenzo Aguaro (UN DESA)"],
                    "start": "09:30",
                    "file": "un-egov-survey-2022-findings.pdf",
                },
            ],
        },
        {
            "title": "Panel: digital inclusion and citizen services",
            "start": "2023-07-26T11:00",
            "end": "2023-07-26T12:30",
            "room": "Conference hall",
            "chairs": "Alikhan Baimenov",
            "tags": ["panel", "digital inclusion"],
            "talks": [
                {
                    "title": "Электронное правительство и цифровая инклюзия",
                    "speakers": ["Natalia Mochu (International Telecommunication Union)"],
                    "start": "11:00",
                    "file": "elektronnoe-pravitelstvo-itu.pdf",
                },
                {
                    "title": "Improving citizen services: the OECD perspective",
                    "speakers": [{"name": "OECD expert", "organisation": "OECD"}],
                    "start": "11:30",
                },
                {
                    "title": "Public and private sector cooperation for digital transformation",
                    "speakers": [{"name": "World Bank expert", "organisation": "World Bank"}],
                    "start": "12:00",
                },
            ],
        },
        {
            "title": "Interactive session: country case studies",
            "start": "2023-07-26T14:00",
            "end": "2023-07-26T15:30",
            "room": "Conference hall",
            "tags": ["case studies"],
            "talks": [
                {"title": "Case study: Estonia"},
                {"title": "Case study: the Republic of Korea"},
                {"title": "Case study: Bosnia and Herzegovina"},
            ],
        },
        {
            "title": "Closing: a roadmap for future efforts",
            "start": "2023-07-26T16:00",
            "end": "2023-07-26T17:00",
            "room": "Conference hall",
            "talks": [
                {
                    "title": "Closing remarks",
                    "speakers": ["Alikhan Baimenov (Astana Civil Service Hub)"],
                },
            ],
        },
    ],
}
