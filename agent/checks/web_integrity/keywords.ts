// The built-in spam vocabulary of the web_integrity check, Vietnamese first: gambling and betting,
// adult content, fake loans, crypto and job scams, defacement markers, and the words of crime news.
//
// `strong` phrases are spam on their own; `weak` ones are also everyday words of news about crime or
// scams and count only together (see README, "How a page is judged"). `strict` phrases are written
// with their diacritics or not at all: without their marks they are ordinary Vietnamese words
// ("ca do" is "ca" + "do"), so a match must either carry the same marks or carry none while the
// text around it is also written without marks.

export type Category = 'gambling' | 'adult' | 'loan' | 'scam' | 'deface';

export interface Phrase {
  text: string;
  category: Category;
  strength: 'strong' | 'weak';
  strict?: boolean;
}

const strong = (category: Category, ...texts: string[]): Phrase[] => texts.map((text) => ({ text, category, strength: 'strong' }));
const weak = (category: Category, ...texts: string[]): Phrase[] => texts.map((text) => ({ text, category, strength: 'weak' }));
const strictWeak = (category: Category, ...texts: string[]): Phrase[] => texts.map((text) => ({ text, category, strength: 'weak', strict: true }));

/** Bookmaker and casino brands advertised through hacked Vietnamese sites; never ordinary words. */
const BRANDS = [
  'fb88', 'w88', '188bet', 'm88', 'fun88', '12bet', 'vn88', 'kubet', 'ku casino', 'jun88', 'new88', 'hi88', 'f8bet', 'shbet', '8xbet',
  '789bet', 'bet88', '33win', 'mb66', 'okvip', 'debet', 'j88', 'u888', 'sunwin', 'go88', 'hitclub', 'b52 club', 'rikvip', 'iwin68',
  'bk8', 'dafabet', '1xbet', '22bet', 'v9bet', 'letou', 'cmd368', 'sv388', 's666', 'net88', 'twin68', 'ae888', 'qh88', 'five88',
  '78win', '8kbet', 'bj88', 'tf88', 'sbobet', 'kuwin', 'xoso66', 'vz99', 'may88', 'zbet', 'lode88', 'loto188', 'nhatvip', 'man club',
];

export const BUILTIN_PHRASES: readonly Phrase[] = [
  ...strong(
    'gambling',
    'nhà cái', 'nhà cái uy tín', 'nổ hũ', 'game bài đổi thưởng', 'bắn cá đổi thưởng', 'đá gà trực tuyến', 'đá gà online', 'kèo bóng đá',
    'kèo nhà cái', 'soi kèo', 'tỷ lệ kèo', 'baccarat', 'casino trực tuyến', 'casino online', 'online casino', 'live casino', 'cá cược trực tuyến',
    'cá cược bóng đá', 'cá cược thể thao', 'cá cược online', 'cá độ bóng đá online', 'lô đề online', 'đánh đề online', 'soi cầu', 'dự đoán xổ số',
    'xổ số online', 'xóc đĩa online', 'xóc đĩa đổi thưởng', 'tài xỉu online', 'sicbo', 'khuyến mãi nạp đầu', 'slot game', 'slot gacor',
    'situs slot', 'slot online', 'judi online', 'togel', 'maxwin', 'sports betting', 'link vào nhà cái', 'đăng ký nhà cái', 'cổng game bài',
    ...BRANDS,
  ),
  ...weak('gambling', 'casino', 'slot', 'cá cược', 'tài xỉu', 'xóc đĩa', 'poker', 'blackjack', 'roulette', 'game bài', 'đổi thưởng', 'link vào', 'rồng hổ', 'bầu cua online', 'đặt cược'),
  ...strictWeak('gambling', 'cá độ', 'lô đề', 'đá gà', 'đánh đề'),
  ...strong('adult', 'phim sex', 'clip sex', 'xem sex', 'phim jav', 'phim heo', 'sex không che', 'sex vietsub', 'gái gọi', 'xnxx', 'xvideos', 'pornhub', 'jav hd'),
  ...weak('adult', 'sex', 'porn', 'phim người lớn', 'gái xinh'),
  ...strong('loan', 'vay tiền bằng cccd', 'vay tiền bằng cmnd', 'vay tiền không cần thẩm định', 'giải ngân trong 5 phút'),
  ...weak('loan', 'vay tiền online', 'app vay tiền', 'vay tiền nhanh', 'vay online', 'vay nhanh', 'vay không thế chấp', 'giải ngân nhanh'),
  ...strong('scam', 'nhân đôi bitcoin', 'x2 tài khoản', 'airdrop miễn phí'),
  ...weak('scam', 'đầu tư tiền ảo', 'sàn forex', 'kiếm tiền online', 'việc nhẹ lương cao', 'lợi nhuận mỗi ngày', 'đào coin', 'airdrop'),
];

/** Defacement signatures, counted anywhere on the start page and in any page's title or h1-h3. */
export const DEFACE_MARKERS: readonly Phrase[] = strong('deface', 'hacked by', 'defaced by', 'pwned by', 'hacker was here', 'h4cked by');

/** Also signatures, but ordinary English too ("owned by the province"): counted in titles and h1-h3 only. */
export const HEADING_MARKERS: readonly Phrase[] = strong('deface', 'owned by', 'hacked', 'defaced');

/**
 * Words of reporting on crime and scams: a page with two of them is news about gambling or a warning
 * about scams, and its weak phrases do not count (strong ones still do).
 */
export const REPORTING_WORDS: readonly string[] = [
  'khởi tố', 'triệt phá', 'bắt giữ', 'tạm giữ', 'xét xử', 'bị cáo', 'vụ án', 'điều tra', 'cảnh báo', 'lừa đảo', 'thủ đoạn', 'tuyên truyền',
  'phòng chống', 'xử phạt', 'tệ nạn', 'công an', 'đấu tranh',
];
