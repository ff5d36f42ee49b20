/**
 * Word and name pools for the generator. Vocabulary is listed roughly by English frequency rank so
 * a Zipf sampler over the index gives realistic term statistics (many "the", few "deposition").
 */

export const VOCABULARY: readonly string[] = (
  'the to and a of I you it is in that for we on this be have with are not can will just do' +
  ' so but at if was my me all we\'ll get about what they your it\'s from know there one up' +
  ' out like think as or by need when time should let an going would our today now good see' +
  ' them been more some here work make then new also back which how could still meeting yes' +
  ' thanks no please team call tomorrow client send week update next file can\'t sure go sounds' +
  ' well other any got had look check did into over people right because these him her has' +
  ' first day take want over only after those us his she great looks done report draft review' +
  ' contract agreement question email monday friday morning afternoon deadline schedule project' +
  ' sent already doc notes quick ok okay yeah help issue fix plan share before soon last again' +
  ' around than very much even though might already document version changes comments point' +
  ' discuss later thing things really into those were where who why way around down said' +
  ' meeting call legal counsel matter case filing court hearing motion deposition discovery' +
  ' exhibit witness settlement invoice budget payment vendor account approve approved signed' +
  ' signature redline clause section page terms policy compliance audit risk data privacy' +
  ' record records retention hold production evidence custodian review privileged confidential' +
  ' number numbers list table spreadsheet slides deck presentation summary details attached' +
  ' attachment link folder drive shared access permission login password server release build' +
  ' test tests bug feature customer customers order orders shipping delivery product pricing' +
  ' quote estimate forecast quarter revenue sales marketing launch campaign board office remote' +
  ' travel flight hotel lunch coffee dinner weekend holiday vacation sick late early minutes' +
  ' hours hour minute second half full free busy available confirm confirmed cancel cancelled' +
  ' move moved room zoom calendar invite invited join joined leave left call back ping reply' +
  ' thread message messages chat channel post posted read unread thanks thank appreciate sorry' +
  ' problem problems working works worked broken down up running slow fast latest old new final' +
  ' ready waiting pending blocked priority urgent asap fyi btw eod tbd important note reminder' +
  ' different same small big large long short high low best better worse important simple easy' +
  ' hard clear exactly probably actually maybe definitely likely hopefully basically already' +
  ' said told asked asking think thought believe feel seems seem agree disagree understand' +
  ' mean means meant sense idea ideas option options choice decision decide decided suggest' +
  ' proposal proposed change changed update updated updates add added remove removed edit' +
  ' edited create created delete deleted open opened close closed start started finish finished' +
  ' continue follow following followed next previous another each every both few many most' +
  ' own such through during without within between under while since until against among' +
  ' north south east west city state country region market industry company companies partner' +
  ' partners team\'s manager director lead engineer analyst associate paralegal attorney' +
  ' counsel\'s firm firm\'s department group members member staff employee employees hr it' +
  ' finance operations support service services system systems process processes tool tools' +
  ' migration backup export archive search index import format formats json csv pdf zip' +
  ' year month months years weeks days night evening noon yesterday tonight soon someday' +
  ' one two three four five six seven eight nine ten hundred thousand million percent' +
  ' q1 q2 q3 q4 2024 2025 v2 api sdk ui ux qa ops'
).split(' ');

/** Words with accents and scripts other than Latin, sprinkled into otherwise English text. */
export const UNICODE_WORDS: readonly string[] = [
  'café', 'naïve', 'résumé', 'façade', 'jalapeño', 'Zürich', 'São Paulo', 'München', 'Kraków',
  'déjà vu', 'piñata', 'coöperate', 'Ångström', 'smörgåsbord', 'crème brûlée', 'Ελλάδα',
  '東京', '会議室', '日本語', '締め切り', '你好', '谢谢', '合同', '北京', '서울', '회의',
  'مرحبا', 'شكرا', 'عقد', 'שלום', 'תודה', 'חוזה', 'Привет', 'договор', 'İstanbul', 'Łódź',
];

/** Whole sentences in other languages (some users write in their own language). */
export const FOREIGN_SENTENCES: readonly string[] = [
  '明日の会議は10時からです。資料を確認してください。',
  '契約書のドラフトを送りました。ご確認をお願いします。',
  '我们明天下午三点开会，请准备好报告。',
  '合同已经签好了，谢谢大家的帮助。',
  'الاجتماع غدا في الساعة العاشرة صباحا.',
  'أرسلت لك نسخة العقد المعدلة، يرجى المراجعة.',
  'הפגישה נדחתה ליום חמישי בבוקר.',
  'שלחתי את הטיוטה, תעדכנו אם יש הערות.',
  'Je vous envoie le contrat révisé avant la réunion de jeudi.',
  'Können wir die Besprechung auf Freitag verschieben? Danke schön!',
  'El cliente aprobó el presupuesto, ¡qué bien!',
  'Vou enviar o relatório até amanhã à tarde.',
  '내일 회의 자료를 공유해 주세요.',
  'Спасибо, документы получены.',
];

export const EMOJI: readonly string[] = ['👍', '🎉', '😂', '🙏', '🚀', '✅', '❤️', '👀', '🔥', '😅', '🤔', '📎', '👋🏽', '🇫🇷'];

export const REACTION_TYPES: readonly string[] = ['like', 'love', 'haha', 'wow', 'sad', 'thumbsup', 'fire', 'clap'];

/** [display first, display last, romanised first, romanised last, family-name-first] */
export type NameCulture = { first: [string, string][]; last: [string, string][]; familyFirst?: boolean; joiner?: string };

export const NAME_CULTURES: readonly NameCulture[] = [
  {
    first: [['Emma', 'emma'], ['Liam', 'liam'], ['Olivia', 'olivia'], ['Noah', 'noah'], ['Ava', 'ava'], ['James', 'james'], ['Sophia', 'sophia'], ['Michael', 'michael'], ['Grace', 'grace'], ['Daniel', 'daniel'], ['Chloe', 'chloe'], ['Ethan', 'ethan']],
    last: [['Smith', 'smith'], ['Johnson', 'johnson'], ['Williams', 'williams'], ['Brown', 'brown'], ['Miller', 'miller'], ['O\'Brien', 'obrien'], ['Taylor', 'taylor'], ['Anderson', 'anderson'], ['Clarke', 'clarke'], ['Walker', 'walker']],
  },
  {
    first: [['Amélie', 'amelie'], ['François', 'francois'], ['Chloé', 'chloe'], ['Hélène', 'helene'], ['Jérôme', 'jerome'], ['Zoë', 'zoe'], ['Léa', 'lea']],
    last: [['Dubois', 'dubois'], ['Lefèvre', 'lefevre'], ['Moreau', 'moreau'], ['Côté', 'cote'], ['Besançon', 'besancon']],
  },
  {
    first: [['José', 'jose'], ['María', 'maria'], ['Ángel', 'angel'], ['Lucía', 'lucia'], ['João', 'joao'], ['Inês', 'ines']],
    last: [['García', 'garcia'], ['Núñez', 'nunez'], ['Peña', 'pena'], ['Gonçalves', 'goncalves'], ['Muñoz', 'munoz']],
  },
  {
    first: [['Jürgen', 'jurgen'], ['Björn', 'bjorn'], ['Søren', 'soren'], ['Åsa', 'asa'], ['Łukasz', 'lukasz'], ['Ayşe', 'ayse'], ['Ólafur', 'olafur']],
    last: [['Müller', 'muller'], ['Schröder', 'schroder'], ['Østergaard', 'ostergaard'], ['Wiśniewski', 'wisniewski'], ['Yılmaz', 'yilmaz'], ['Håkansson', 'hakansson']],
  },
  {
    first: [['伟', 'wei'], ['娜', 'na'], ['芳', 'fang'], ['强', 'qiang'], ['静', 'jing']],
    last: [['王', 'wang'], ['李', 'li'], ['张', 'zhang'], ['刘', 'liu'], ['陈', 'chen']],
    familyFirst: true,
    joiner: '',
  },
  {
    first: [['花子', 'hanako'], ['健太', 'kenta'], ['由美', 'yumi'], ['翔', 'sho']],
    last: [['佐藤', 'sato'], ['鈴木', 'suzuki'], ['高橋', 'takahashi'], ['田中', 'tanaka']],
    familyFirst: true,
    joiner: ' ',
  },
  {
    first: [['민준', 'minjun'], ['서연', 'seoyeon'], ['지호', 'jiho']],
    last: [['김', 'kim'], ['이', 'lee'], ['박', 'park']],
    familyFirst: true,
    joiner: '',
  },
  {
    first: [['محمد', 'mohammed'], ['فاطمة', 'fatima'], ['أحمد', 'ahmed'], ['ليلى', 'layla'], ['يوسف', 'youssef']],
    last: [['الأحمد', 'alahmad'], ['حداد', 'haddad'], ['منصور', 'mansour'], ['الخطيب', 'alkhatib']],
  },
  {
    first: [['דוד', 'david'], ['שרה', 'sarah'], ['יוסי', 'yossi'], ['נועה', 'noa']],
    last: [['כהן', 'cohen'], ['לוי', 'levi'], ['מזרחי', 'mizrahi'], ['פרץ', 'peretz']],
  },
  {
    first: [['Nguyễn Văn', 'nguyen'], ['Trần Thị', 'tran'], ['Priya', 'priya'], ['Arjun', 'arjun'], ['Ngozi', 'ngozi'], ['Kwame', 'kwame']],
    last: [['An', 'an'], ['Hương', 'huong'], ['Sharma', 'sharma'], ['Iyer', 'iyer'], ['Okafor', 'okafor'], ['Mensah', 'mensah']],
  },
];

export const TITLES: readonly string[] = [
  'Associate', 'Senior Associate', 'Partner', 'Paralegal', 'Legal Assistant', 'General Counsel',
  'Compliance Officer', 'Engineer', 'Product Manager', 'Account Executive', 'Support Lead',
  'Operations Manager', 'Analyst', 'Designer', 'CFO', 'Head of People', 'Records Manager',
];

export const DEPARTMENTS: readonly string[] = ['Legal', 'Engineering', 'Sales', 'Support', 'Finance', 'Operations', 'HR', 'Marketing'];

export const TEAM_NAMES: readonly string[] = [
  'Litigation', 'Deal Room', 'Compliance', 'Engineering', 'Release Planning', 'Customer Success',
  'Finance Ops', 'Board Prep', 'Incident Response', 'M&A Project Falcon', 'Design <Review>',
  'Q&A Hotline', 'Records & Retention', 'Privacy Office', 'Vendor Management', 'Hiring',
];

export const GROUP_TOPICS: readonly string[] = [
  'Lunch plans', 'Offsite 2025', 'Contract redlines', 'Acme Corp renewal', 'Weekly sync',
  'Discovery requests', 'Café club ☕', 'Zürich office', '東京チーム', 'Product launch 🚀',
  'Travel & expenses', 'Audit prep', 'Deposition schedule', 'Press review', 'Security questions',
];

export const LIVESTREAM_TOPICS: readonly string[] = [
  'All-hands live', 'Quarterly results webcast', 'Town hall Q&A', 'Product keynote', 'Training session',
];

export const FILE_NAMES: readonly [string, string][] = [
  ['Draft agreement v3.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['Invoice 2024-117.pdf', 'application/pdf'],
  ['Exhibit A.pdf', 'application/pdf'],
  ['Budget Q3.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['notes.txt', 'text/plain'],
  ['export.csv', 'text/csv'],
  ['Résumé – Zoë.pdf', 'application/pdf'],
  ['会議メモ.pdf', 'application/pdf'],
  ['recording.m4a', 'audio/mp4'],
  ['evidence.zip', 'application/zip'],
];

export const IMAGE_NAMES: readonly [string, string][] = [
  ['screenshot.png', 'image/png'],
  ['IMG_2041.jpg', 'image/jpeg'],
  ['whiteboard.jpg', 'image/jpeg'],
  ['diagram.png', 'image/png'],
  ['receipt.heic', 'image/heic'],
];
