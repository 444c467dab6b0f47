"""Build samples/generic/tracker.xlsx: an office IT team's issue log kept in a spreadsheet.

Three sheets, the way such logs usually look: ``Issues`` (one row per issue; sub-issues name
their parent in ``Parent``), ``Comments`` (one row per comment, typed in by hand, so authors are
full names rather than e-mails) and ``Links``. Dates are real Excel date cells shown as
``yyyy-mm-dd hh:mm``, in Moscow wall-clock time. Run from anywhere:

    python samples/generic/make_workbook.py            # rewrites tracker.xlsx next to this script
    python samples/generic/make_workbook.py out.xlsx   # or writes elsewhere

The committed tracker.xlsx is exactly what this script builds (tests/test_samples.py checks it).
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent
BUILT_AT = datetime(2024, 4, 15, 9, 0)  # fixed document timestamps keep rebuilds identical

ISSUE_COLUMNS = [
    "ID",
    "Title",
    "Description",
    "Type",
    "Status",
    "Priority",
    "Resolution",
    "Assignee",
    "Author",
    "Created",
    "Updated",
    "Closed",
    "Deadline",
    "Parent",
    "Tags",
    "Estimate",
]


def t(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


# ID, Title, Description, Type, Status, Priority, Resolution, Assignee, Author,
# Created, Updated, Closed, Deadline, Parent, Tags, Estimate
ISSUES: list[tuple] = [
    (
        1,
        "Переезд офиса на Льва Толстого, 16: IT-часть",
        "Всё, что нужно IT к переезду 15 апреля: сеть, сервер 1С, Wi-Fi, переговорки.\n"
        "Подзадачи — в колонке Parent.",
        "Эпик",
        "В работе",
        "Высокий",
        None,
        "alice@example.com",
        "alice@example.com",
        t("2024-03-01 10:00"),
        t("2024-04-12 18:20"),
        None,
        date(2024, 4, 15),
        None,
        "переезд",
        None,
    ),
    (
        2,
        "Проложить СКС и проверить розетки на 3 этаже",
        "48 розеток по плану БТИ. Подрядчик — «Сеть-Монтаж», договор № 14/24.\n"
        "Проверить каждую розетку тестером и подписать акт.",
        "Задача",
        "Закрыта",
        "Средний",
        "Выполнено",
        "bob@example.com",
        "alice@example.com",
        t("2024-03-04 09:30"),
        t("2024-03-20 17:05"),
        t("2024-03-20 17:00"),
        date(2024, 3, 22),
        1,
        "переезд, сеть",
        "3d",
    ),
    (
        3,
        "Перенести сервер 1С и настроить резервное копирование",
        "Сервер переезжает в серверную на 3 этаже. Простой — только в выходные.\n"
        "Бэкапы: ежедневно в Yandex Object Storage, хранить 30 дней.",
        "Задача",
        "В работе",
        "Критический",
        None,
        "bob@example.com",
        "alice@example.com",
        t("2024-03-04 09:40"),
        t("2024-04-12 18:20"),
        None,
        date(2024, 4, 13),
        1,
        "переезд, 1С",
        "2d 4h",
    ),
    (
        4,
        "Wi-Fi: гостевая сеть с авторизацией по SMS",
        "Отдельный VLAN для гостей, доступ только в интернет. Точки доступа ставим после СКС.",
        "Задача",
        "Новая",
        "Средний",
        None,
        "dave@example.com",
        "alice@example.com",
        t("2024-03-05 11:15"),
        t("2024-03-20 17:10"),
        None,
        date(2024, 4, 15),
        1,
        "переезд, wifi",
        "1d",
    ),
    (
        5,
        "Принтер на 3 этаже не печатает с ноутбуков на macOS",
        "Kyocera ECOSYS M2540dn. С Windows печатает, с macOS задания висят в очереди со статусом «Остановлено».",
        "Ошибка",
        "Ждёт ответа",
        "Средний",
        None,
        "dave@example.com",
        "carol@example.com",
        t("2024-03-26 14:10"),
        t("2024-04-09 12:30"),
        None,
        None,
        None,
        "принтер, macOS",
        None,
    ),
    (
        6,
        "VPN не подключается после обновления Windows 11",
        "После установки обновлений 9 января у троих сотрудников ошибка 809 при подключении к VPN.",
        "Ошибка",
        "Решена",
        "Высокий",
        "Исправлено",
        "bob@example.com",
        "d.orlov@example.com",
        t("2024-01-10 09:05"),
        t("2024-01-12 16:40"),
        t("2024-01-12 16:30"),
        None,
        None,
        "vpn",
        None,
    ),
    (
        7,
        "Купить 12 лицензий Figma для дизайнеров",
        "Годовая подписка Professional, оплата по счёту.",
        "Задача",
        "Закрыта",
        "Низкий",
        "Не будем делать",
        "alice@example.com",
        "carol@example.com",
        t("2024-02-05 10:00"),
        t("2024-02-14 15:00"),
        t("2024-02-14 15:00"),
        None,
        None,
        "лицензии",
        None,
    ),
    (
        8,
        "Переезд вики с Confluence на Яндекс Вики",
        "Около 600 страниц в пространствах IT и HR. Вложения — тоже.\n"
        "Нужна инструкция для сотрудников: где теперь искать регламенты.",
        "Улучшение",
        "В работе",
        "Средний",
        None,
        "alice@example.com",
        "alice@example.com",
        t("2024-02-12 12:00"),
        t("2024-04-08 11:00"),
        None,
        date(2024, 5, 31),
        None,
        "wiki",
        "5d",
    ),
    (
        9,
        "Не работает принтер на третьем этаже",
        "Не печатает с макбука, очередь стоит.",
        "Ошибка",
        "Закрыта",
        "Низкий",
        "Дубликат",
        "dave@example.com",
        "carol@example.com",
        t("2024-04-01 10:20"),
        t("2024-04-01 11:00"),
        t("2024-04-01 11:00"),
        None,
        None,
        "принтер",
        None,
    ),
    (
        10,
        "Переговорка «Байкал»: экран, камера, Телемост",
        'Телевизор 65", камера с автофокусом на говорящего, мини-ПК с Телемостом. Кабели — в короб.',
        "Задача",
        "Новая",
        "Средний",
        None,
        "dave@example.com",
        "carol@example.com",
        t("2024-03-11 16:00"),
        t("2024-03-20 17:10"),
        None,
        date(2024, 4, 15),
        1,
        "переезд, переговорки",
        "1d",
    ),
    (
        11,
        "Учётные записи для 5 новых сотрудников отдела продаж",
        "Выход 15 января: почта, VPN, доступ к CRM. Список — у HR.",
        "Задача",
        "Закрыта",
        "Средний",
        "Выполнено",
        "bob@example.com",
        "carol@example.com",
        t("2024-01-09 12:00"),
        t("2024-01-15 10:05"),
        t("2024-01-15 10:00"),
        date(2024, 1, 15),
        None,
        "доступы",
        "4h",
    ),
]

COMMENT_COLUMNS = ["Issue ID", "Author", "Date", "Comment"]
COMMENTS: list[tuple] = [
    (
        1,
        "Алиса Смирнова",
        t("2024-03-01 10:05"),
        "Сроки согласованы с АХО: переезд в ночь с 12 на 13 апреля.",
    ),
    (1, "Борис Иванов", t("2024-04-12 18:20"), "Сеть и сервер на месте, завтра с утра проверяем 1С."),
    (
        2,
        "Борис Иванов",
        t("2024-03-15 18:30"),
        "Подрядчик закончил прокладку. 2 розетки из 48 не прозвонились — переделывают.",
    ),
    (2, "Борис Иванов", t("2024-03-20 17:00"), "Все 48 розеток проверены, акт подписан."),
    (
        3,
        "Алиса Смирнова",
        t("2024-03-05 10:00"),
        "Простой 1С согласован с бухгалтерией: суббота 13.04 с 8:00 до 14:00.",
    ),
    (
        3,
        "Борис Иванов",
        t("2024-04-02 19:40"),
        "Тестовое восстановление из бэкапа: 47 минут на базу 38 ГБ. Нормально, укладываемся.",
    ),
    (5, "Давид Ким", t("2024-03-26 15:00"), "Драйвер с сайта Kyocera для macOS 14 поставил — не помогло."),
    (
        5,
        "Давид Ким",
        t("2024-03-27 11:20"),
        "Похоже на протокол: на маках принтер добавлен как AirPrint (IPP), а у принтера включён только LPD.",
    ),
    (5, "Карина Олейник", t("2024-04-01 11:00"), "Сегодня опять не печатало у двоих дизайнеров."),
    (
        5,
        "Давид Ким",
        t("2024-04-02 10:15"),
        "Включил IPP на принтере. Карина, проверьте, пожалуйста, у дизайнеров.",
    ),
    (5, "Давид Ким", t("2024-04-09 12:30"), "Жду ответа от дизайнеров, у меня с тестового MacBook печатает."),
    (
        6,
        "Дмитрий Орлов",
        t("2024-01-10 09:30"),
        "Ошибка 809, у всех трёх ноутбуков свежее обновление KB5034441.",
    ),
    (
        6,
        "Борис Иванов",
        t("2024-01-12 16:30"),
        "Помогло: ключ реестра AssumeUDPEncapsulationContextOnSendRule = 2 и перезагрузка. Раскатили через GPO.",
    ),
    (
        7,
        "Алиса Смирнова",
        t("2024-02-14 15:00"),
        "Не покупаем: дизайнеры остаются на бесплатном плане до решения по Penpot.",
    ),
    (
        8,
        "Алиса Смирнова",
        t("2024-03-18 13:45"),
        "Пространство IT перенесено, 212 страниц. HR — на следующей неделе.",
    ),
    (8, "Карина Олейник", t("2024-04-08 11:00"), "Инструкцию для сотрудников разослала в общий чат."),
    (9, "Давид Ким", t("2024-04-01 11:00"), "Это та же проблема, что в задаче 5; закрываю как дубликат."),
    (11, "Борис Иванов", t("2024-01-15 10:00"), "Все пять учёток созданы, пароли выданы под роспись."),
]

LINK_COLUMNS = ["From", "To", "Type"]
LINKS: list[tuple] = [
    (2, 4, "блокирует"),
    (2, 10, "блокирует"),
    (9, 5, "дублирует"),
    (6, 11, "связана с"),
]

HEADER_FILL = PatternFill("solid", fgColor="FFE699")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
WIDTHS = {"Title": 48, "Description": 60, "Comment": 80, "Assignee": 22, "Author": 22, "Tags": 22}


def _sheet(ws, columns: list[str], rows: list[tuple]) -> None:
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in rows:
        ws.append(list(row))
    for index, name in enumerate(columns, start=1):
        letter = get_column_letter(index)
        default = 17 if name in ("Created", "Updated", "Closed", "Date") else 14
        ws.column_dimensions[letter].width = WIDTHS.get(name, default)
        for cell in ws[letter][1:]:
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            if name in ("Description", "Comment"):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


def build() -> Workbook:
    wb = Workbook()
    wb.properties.creator = "Алиса Смирнова"
    wb.properties.title = "IT: задачи офиса"
    wb.properties.created = BUILT_AT
    wb.properties.modified = BUILT_AT
    _sheet(wb.active, ISSUE_COLUMNS, ISSUES)
    wb.active.title = "Issues"
    _sheet(wb.create_sheet("Comments"), COMMENT_COLUMNS, COMMENTS)
    _sheet(wb.create_sheet("Links"), LINK_COLUMNS, LINKS)
    return wb


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else HERE / "tracker.xlsx"
    build().save(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv)
