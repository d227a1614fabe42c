"""Workspace exports: each part writes its own file, then `combine` zips them.

Layout: DATA_DIR/exports/<export id>/ holds the parts while they are built;
the finished zip is DATA_DIR/exports/<generated name>.zip and the part
directory is removed.
"""
import json
import secrets
import shutil
import zipfile
from pathlib import Path

from collab.fields import iso, utcnow
from collab.files import path_for
from collab.models import Channel, Document, Export, File, Message


def exports_dir(settings):
    path = Path(settings.data_dir) / 'exports'
    path.mkdir(parents=True, exist_ok=True)
    return path


def parts_dir(settings, export_id):
    path = exports_dir(settings) / str(export_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def zip_path(settings, export):
    return exports_dir(settings) / export.filename


def _write_json(path, data):
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    return path.name


def export_documents(settings, export):
    docs = Document.select().where(Document.workspace == export.workspace_id).order_by(Document.id)
    return [_write_json(parts_dir(settings, export.id) / 'documents.json',
                        [d.to_dict() for d in docs])]


def export_channels(settings, export):
    channels = []
    for channel in Channel.select().where(Channel.workspace == export.workspace_id).order_by(Channel.id):
        data = channel.to_dict()
        data['messages'] = [m.to_dict() for m in
                            channel.messages.order_by(Message.id)]
        channels.append(data)
    return [_write_json(parts_dir(settings, export.id) / 'channels.json', channels)]


def export_files(settings, export):
    """Copy every file (a missing one fails this part, and so the export)."""
    target = parts_dir(settings, export.id) / 'files'
    target.mkdir(exist_ok=True)
    manifest, names = [], ['files.json']
    for f in File.select().where(File.workspace == export.workspace_id).order_by(File.id):
        arcname = f'files/{f.id}-{f.name}'
        shutil.copyfile(path_for(settings, f.stored_name), target / f'{f.id}-{f.name}')
        manifest.append({**f.to_dict(), 'path': arcname})
        names.append(arcname)
    _write_json(parts_dir(settings, export.id) / 'files.json', manifest)
    return names


def combine(settings, export, part_names):
    """Write the zip from the parts' files; returns its file name."""
    source = parts_dir(settings, export.id)
    filename = f'export-{export.id}-{secrets.token_hex(8)}.zip'
    with zipfile.ZipFile(exports_dir(settings) / filename, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr('export.json', json.dumps(
            {'workspace_id': export.workspace_id, 'export_id': export.id,
             'created_at': iso(utcnow())}))
        for name in part_names:
            archive.write(source / name, name)
    shutil.rmtree(source, ignore_errors=True)
    return filename


def finish(export, state, filename=None, error=None):
    export.state, export.filename, export.error = state, filename, error
    export.finished_at = utcnow()
    export.save()


def discard_parts(settings, export_id):
    shutil.rmtree(exports_dir(settings) / str(export_id), ignore_errors=True)


def get(export_id):
    return Export.get_or_none(Export.id == export_id)
