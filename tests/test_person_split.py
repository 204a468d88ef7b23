"""The person-disjoint split of landmark csv files (tools/dataset_converters/split_by_person.py)."""
import csv

import pytest

from conftest import YTF68, load_tool

_split = load_tool('dataset_converters/split_by_person.py')
person_of, split_csv_by_person = _split.person_of, _split.split_csv_by_person


def write_csv(path, images):
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['image', 'x0', 'y0'])
        for i, image in enumerate(images):
            writer.writerow([image, i, i])


def read_images(path):
    with open(path, newline='') as f:
        return [row[0] for row in list(csv.reader(f))[1:]]


def test_person_of():
    assert person_of('train/Luis_Fonsi_21.jpg') == 'Luis_Fonsi'
    assert person_of('test/Abdel_Aziz_Al-Hakim_00.jpg') == 'Abdel_Aziz_Al-Hakim'
    assert person_of('Kofi_Annan_2001_07.png') == 'Kofi_Annan_2001'


def test_split_keeps_people_whole_and_is_deterministic(tmp_path):
    people = [f'Person_{i}' for i in range(20)]
    write_csv(tmp_path / 'a.csv', [f'train/{p}_{n:02d}.jpg' for p in people for n in range(3)])
    write_csv(tmp_path / 'b.csv', [f'test/{p}_{n:02d}.jpg' for p in people[::2] for n in range(2)])
    outs = []
    for run in range(2):
        train, held = tmp_path / f'train{run}.csv', tmp_path / f'held{run}.csv'
        counts = split_csv_by_person([tmp_path / 'a.csv', tmp_path / 'b.csv'], str(train),
                                     str(held), held_out_fraction=0.25, seed=3)
        outs.append((read_images(train), read_images(held)))
    assert outs[0] == outs[1]
    train_images, held_images = outs[0]
    assert counts['held_out_people'] == 5 and counts['train_people'] == 15
    assert len(train_images) + len(held_images) == 60 + 20
    assert not {person_of(i) for i in train_images} & {person_of(i) for i in held_images}
    # the folder prefix is kept: train/X_00 and test/X_00 are different frames
    assert any(i.startswith('test/') for i in train_images + held_images)
    # another seed holds out other people
    split_csv_by_person([tmp_path / 'a.csv'], str(tmp_path / 't.csv'), str(tmp_path / 'h.csv'),
                        held_out_fraction=0.25, seed=4)
    assert {person_of(i) for i in read_images(tmp_path / 'h.csv')} != \
        {person_of(i) for i in held_images}


def test_split_rejects_mismatched_headers_and_bad_fraction(tmp_path):
    write_csv(tmp_path / 'a.csv', ['train/A_01.jpg', 'train/B_01.jpg'])
    (tmp_path / 'b.csv').write_text('image,x0\ntrain/C_01.jpg,1\n')
    with pytest.raises(ValueError, match='header differs'):
        split_csv_by_person([tmp_path / 'a.csv', tmp_path / 'b.csv'], 't.csv', 'h.csv')
    with pytest.raises(ValueError, match=r'must be in \(0, 1\)'):
        split_csv_by_person([tmp_path / 'a.csv'], str(tmp_path / 't.csv'),
                            str(tmp_path / 'h.csv'), held_out_fraction=1.0)


@pytest.mark.shared_data
def test_ytf68_split_counts(tmp_path):
    """The split prepare_ytf68.sh makes (README numbers): 70 of 348 people held out."""
    counts = split_csv_by_person([f'{YTF68}/train.csv', f'{YTF68}/val.csv'],
                                 str(tmp_path / 'train.csv'), str(tmp_path / 'held_out.csv'))
    assert counts == dict(train_faces=2809, train_people=278, held_out_faces=750,
                          held_out_people=70)


def test_pool_links_only_people_not_held_out(tmp_path):
    link_pool_without_people = _split.link_pool_without_people
    pool = tmp_path / 'pool'
    pool.mkdir()
    for name in ('Ann_Lee_00.jpg', 'Ann_Lee_07.jpg', 'Bob_01.jpg', 'Cy_Dee_Eff_12.jpg'):
        (pool / name).write_bytes(b'jpg')
    held_out = tmp_path / 'held_out.csv'
    held_out.write_text('image,x0,y0\ntest/Ann_Lee_31.jpg,1,2\ntrain/Cy_Dee_Eff_00.jpg,3,4\n')
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'stale.jpg').symlink_to(pool / 'Ann_Lee_00.jpg')  # from an earlier split
    counts = link_pool_without_people(str(pool), str(held_out), str(out))
    assert counts == dict(linked=1, excluded=3)
    assert sorted(p.name for p in out.iterdir()) == ['Bob_01.jpg']
    assert (out / 'Bob_01.jpg').resolve() == (pool / 'Bob_01.jpg').resolve()
    with pytest.raises(FileNotFoundError, match='pool folder'):
        link_pool_without_people(str(tmp_path / 'nope'), str(held_out), str(out))
