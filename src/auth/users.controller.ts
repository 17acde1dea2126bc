import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import type { Actor } from '../audit/actor.js';
import { CurrentActor } from './current-actor.decorator.js';
import { toUserDto, type UserDto } from './dto/user.dto.js';
import { Permission } from './permissions.js';
import { RequirePermission } from './require-permission.decorator.js';
import { UsersService } from './users.service.js';

@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @RequirePermission(Permission.ViewAllUsersInfo)
  async list(): Promise<UserDto[]> {
    return (await this.users.list()).map(toUserDto);
  }

  @Get(':uid')
  @RequirePermission(Permission.ViewUserInfo)
  async get(@Param('uid') uid: string): Promise<UserDto> {
    return toUserDto(await this.users.get(uid));
  }

  @Post()
  @HttpCode(200)
  @RequirePermission(Permission.CreateNewUser)
  async create(@Body() body: unknown, @CurrentActor() actor: Actor): Promise<UserDto> {
    return toUserDto(await this.users.create(body, actor));
  }

  @Put(':uid')
  @RequirePermission(Permission.UpdateUser)
  async update(
    @Param('uid') uid: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
  ): Promise<UserDto> {
    return toUserDto(await this.users.update(uid, body, actor));
  }

  @Delete(':uid')
  @RequirePermission(Permission.DeleteUser)
  async remove(@Param('uid') uid: string, @CurrentActor() actor: Actor): Promise<UserDto> {
    return toUserDto(await this.users.remove(uid, actor));
  }
}
